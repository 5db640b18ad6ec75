import { Prng } from '../prng.js';

/** One memory and a question that asks for it in other words. */
export interface Fact {
  text: string;
  question: string;
}

const first =
  'Alice Bruno Chen Dara Elif Farid Greta Hiro Ines Jonas Kavya Luca Mira Nadia Omar Priya Quinn Rosa Sami Tomas Uma Vera Wei Ximena Yusuf Zoe Anya Bilal Carmen Dmitri'.split(
    ' ',
  );
const last =
  'Novak Okafor Lindqvist Moreau Tanaka Haddad Kowalski Rossi Silva Fischer Nakamura Petrov Jensen Alvarez Sato Dubois Ibrahim Larsen Costa Weber Kim Mendes Horvat Brennan Varga Ortiz Quist Abara Yilmaz Falk'.split(
    ' ',
  );

type Relation = (r: Prng, who: string) => Fact;

const relations: Relation[] = [
  (r, who) => {
    const drink = r.pick([
      'green tea',
      'black coffee',
      'oat milk lattes',
      'sparkling water',
      'mint tea',
      'espresso',
    ]);
    return {
      text: `${who} drinks ${drink} every morning.`,
      question: `What does ${who} usually drink in the mornings?`,
    };
  },
  (r, who) => {
    const city = r.pick([
      'Lisbon',
      'Osaka',
      'Denver',
      'Tallinn',
      'Cape Town',
      'Montreal',
      'Hanoi',
      'Porto',
    ]);
    return {
      text: `${who} moved to ${city} last year for a new job.`,
      question: `Which city did ${who} move to for work?`,
    };
  },
  (r, who) => {
    const food = r.pick(['peanuts', 'shellfish', 'gluten', 'sesame', 'eggs', 'soy']);
    return { text: `${who} is allergic to ${food}.`, question: `What allergy does ${who} have?` };
  },
  (r, who) => {
    const pet = r.pick([
      'a grey cat',
      'two goldfish',
      'a beagle',
      'a parrot',
      'a rabbit',
      'a husky',
    ]);
    return {
      text: `${who} has ${pet} named ${r.pick(['Pixel', 'Mochi', 'Rex', 'Olive', 'Nimbus', 'Taco'])}.`,
      question: `What pet does ${who} have at home?`,
    };
  },
  (r, who) => {
    const sport = r.pick(['climbing', 'swimming', 'cycling', 'tennis', 'yoga', 'rowing']);
    return {
      text: `${who} goes ${sport} on ${r.pick(['Mondays', 'Tuesdays', 'Thursdays', 'Saturdays'])}.`,
      question: `Which sport does ${who} go to each week?`,
    };
  },
  (r, who) => {
    const lang = r.pick(['Rust', 'TypeScript', 'Go', 'Python', 'Kotlin', 'Elixir']);
    return {
      text: `${who} writes most backend services in ${lang}.`,
      question: `Which language does ${who} write backend code in?`,
    };
  },
  (r, who) => {
    const month = r.pick(['March', 'June', 'August', 'October', 'December']);
    return {
      text: `${who} plans a trip to ${r.pick(['Iceland', 'Peru', 'Japan', 'Morocco', 'Norway'])} in ${month}.`,
      question: `Where is ${who} planning to travel?`,
    };
  },
  (r, who) => {
    const instrument = r.pick(['piano', 'cello', 'guitar', 'drums', 'violin']);
    return {
      text: `${who} practises ${instrument} in the evenings.`,
      question: `Which instrument does ${who} practise?`,
    };
  },
];

/** `count` distinct facts (person × relation × details), the same for every system and seed. */
export function facts(count: number, seed = 7): Fact[] {
  const r = new Prng(seed);
  const out: Fact[] = [];
  const seen = new Set<string>();
  let serial = 0;
  while (out.length < count) {
    const person = `${first[serial % first.length]} ${last[Math.floor(serial / first.length) % last.length]}`;
    const cohort = Math.floor(serial / (first.length * last.length));
    const who = cohort === 0 ? person : `${person} ${cohort + 1}`;
    serial++;
    for (const relation of relations) {
      const fact = relation(r, who);
      if (seen.has(fact.text)) continue;
      seen.add(fact.text);
      out.push(fact);
      if (out.length === count) break;
    }
  }
  return out;
}
