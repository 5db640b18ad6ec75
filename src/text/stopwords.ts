/**
 * Very common function words of English and Chinese. The built-in embedder has corpus statistics
 * (no IDF), so without this list words like "the", "what" and "的" would dominate every vector.
 */
export const stopwords: ReadonlySet<string> = new Set(
  `a about above after again against all am an and any are as at be because been before being below
  between both but by can could did do does doing down during each few for from further had has have
  having he her here hers herself him himself his how i if in into is it its itself just me more most
  my myself now of off on once only or other our ours ourselves out over own same she
  should so some such than that the their theirs them themselves then there these they this those
  through to too under until up very was we were what when where which while who whom why will with
  would you your yours yourself yourselves also get got like want know think need really
  let lets im ive id its thats whats there's i'm i've i'd it's that's what's could've would've
  should've ok okay yeah please thanks thank
  的 了 是 我 你 他 她 它 们 我们 你们 他们 在 有 和 就 都 也 很 到 说 要 去 会 着 看 好 这 那 这个 那个
  吗 呢 吧 啊 呀 与 及 或 被 把 给 让 对 从 而 但 但是 如果 因为 所以 还 又 一个 一些 什么 怎么 哪 哪里 为什么`
    .split(/\s+/u)
    .filter(Boolean),
);
