/** Word lists the synthetic corpus is built from (English and Chinese agent-memory vocabulary). */

function list(words: string): readonly string[] {
  return words.split('|');
}

/** English word lists by slot. */
export const en = {
  names: list(
    'Alice|Bob|Carlos|Dana|Erik|Fatima|George|Hana|Ivan|Julia|Kenji|Laura|Mohammed|Nora|Oscar|Priya|Quentin|Rosa|Samuel|Tara|Umar|Vera|Wei|Ximena|Yusuf|Zoe|Liam|Emma|Noah|Olivia|Mateo|Sofia|Arjun|Mia|Lucas|Amara|Felix|Ingrid|Tomas|Leila',
  ),
  relatives: list(
    'daughter|son|wife|husband|mother|father|sister|brother|partner|grandmother|cousin|roommate|manager|colleague|neighbor',
  ),
  drinks: list(
    'dark roast coffee|oat milk latte|green tea|sparkling water|espresso|chai|hot chocolate|orange juice|matcha|decaf americano|jasmine tea|cold brew',
  ),
  times: list(
    'in the morning|after lunch|before bed|on weekends|during meetings|at night|on Monday mornings|after the gym',
  ),
  activities: list(
    'piano lessons|swimming practice|chess club|soccer training|a pottery class|yoga|a coding bootcamp|ballet|guitar lessons|a book club|rock climbing|volunteer shifts',
  ),
  places: list(
    'community center|public library|downtown studio|school gym|city park|recreation center|church hall|university campus|coworking space|local pool',
  ),
  days: list('Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday'),
  cities: list(
    'Lisbon|Tokyo|Berlin|Toronto|Nairobi|Seoul|Austin|Melbourne|Mexico City|Oslo|Hangzhou|Barcelona|Chicago|Singapore|Cape Town|Dublin|Kyoto|Vancouver|Istanbul|Prague',
  ),
  foods: list(
    'peanuts|shellfish|gluten|lactose|strawberries|sesame|eggs|soy|tree nuts|mushrooms|cilantro|spicy food',
  ),
  projects: list(
    'a budgeting app|the billing service|a recipe website|the data pipeline|a chatbot|the mobile client|a home automation setup|the search backend|a personal blog|an inventory tool',
  ),
  tech: list(
    'TypeScript|Python|Rust|Go|React|PostgreSQL|Kubernetes|SQLite|Django|Swift|Kotlin|Terraform',
  ),
  qualities: list('concise|detailed|formal|friendly|step-by-step|short|well-sourced|casual'),
  topics: list(
    'the quarterly budget|the product launch|hiring plans|the office move|the security audit|the marketing campaign|customer churn|the vendor contract|the roadmap|travel reimbursements',
  ),
  items: list(
    'bicycle|laptop|rain jacket|standing desk|coffee grinder|camera|pair of running shoes|tent|espresso machine|vacuum cleaner|keyboard|backpack',
  ),
  adjectives: list(
    'red|second-hand|lightweight|refurbished|waterproof|compact|vintage|new|blue|ergonomic',
  ),
  stores: list(
    'Costco|a thrift shop|the farmers market|an online store|IKEA|the mall|a local shop|Amazon',
  ),
  months: list(
    'January|February|March|April|May|June|July|August|September|October|November|December',
  ),
  pets: list(
    'a golden retriever|two cats|a parrot|a rabbit|a beagle|an aquarium of goldfish|a tortoise|a husky',
  ),
  petNames: list('Max|Luna|Biscuit|Pepper|Mochi|Rocky|Nala|Ziggy|Olive|Tofu'),
  reasons: list(
    'because it helps them focus|since the doctor suggested it|to save money|after a long week|because the old one broke|to spend more time with family|for an upcoming trip',
  ),
};

/** Chinese word lists by slot. */
export const zh = {
  names: list(
    '小王|李明|张伟|王芳|刘洋|陈静|杨帆|赵磊|黄敏|周杰|吴婷|徐涛|孙丽|马超|朱琳|胡军|郭敏|林峰|何雪|高翔',
  ),
  relatives: list('女儿|儿子|妻子|丈夫|妈妈|爸爸|姐姐|弟弟|奶奶|同事|室友|经理'),
  drinks: list('黑咖啡|绿茶|乌龙茶|拿铁|豆浆|奶茶|柠檬水|普洱茶|热可可|菊花茶'),
  times: list('早上|午饭后|睡觉前|周末|开会时|晚上|下班后'),
  activities: list('学钢琴|练游泳|上舞蹈课|踢足球|下围棋|练瑜伽|学编程|练书法|打羽毛球|参加读书会'),
  places: list('社区中心|图书馆|体育馆|公园|少年宫|健身房|学校|文化馆'),
  days: list('周一|周二|周三|周四|周五|周六|周日'),
  cities: list('北京|上海|杭州|成都|西安|广州|深圳|南京|厦门|青岛|重庆|昆明|苏州|大理|哈尔滨'),
  foods: list('花生|海鲜|芒果|牛奶|鸡蛋|辣椒|香菜|坚果|小麦|虾'),
  projects: list('记账应用|订单系统|数据平台|聊天机器人|小程序|推荐系统|个人博客|库存管理工具'),
  qualities: list('简洁|详细|正式|友好|分步骤|口语化'),
  topics: list('季度预算|产品发布|招聘计划|办公室搬迁|安全审计|市场推广|供应商合同|年度规划'),
  items: list('自行车|笔记本电脑|雨衣|升降桌|咖啡机|相机|跑鞋|帐篷|吸尘器|机械键盘'),
  months: list('一月|二月|三月|四月|五月|六月|七月|八月|九月|十月|十一月|十二月'),
  pets: list('一只金毛|两只猫|一只鹦鹉|一只兔子|一只柯基|一缸金鱼'),
  reasons: list('因为工作太忙|医生建议的|为了省钱|想多陪陪家人|旧的坏了|为了下个月的旅行'),
};
