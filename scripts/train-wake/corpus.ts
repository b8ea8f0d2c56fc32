/**
 * Text for the wake-word training and evaluation data. Sentences are split deterministically
 * into a training half and an evaluation half, so evaluation negatives are never trained on.
 */
export const KEYWORD_TEXT = { 天猫精灵: "天猫精灵", 你好天猫: "你好天猫" } as const;

/**
 * Phrases that share syllables or tones with the keywords; they must not wake the speaker.
 * None may contain a keyword, nor be a homophone of one (田猫精灵 differs from 天猫精灵 only in
 * a tone that synthetic speech barely renders): those would teach the model to miss real wakes.
 */
export const NEAR_MISSES = [
  "天猫商城",
  "天猫精品",
  "天猫精选",
  "精灵宝可梦",
  "小精灵",
  "你好呀",
  "你好天气",
  "你好天才",
  "天上的猫",
  "猫精灵",
  "天猫精",
  "天猫",
  "精灵",
  "你好",
  "天天开心",
  "你好天堂",
  "天猫超市",
  "天猫精神",
  "天帽经理",
  "你好添麻烦",
  "你好天真",
  "甜猫",
  "天猫旗舰店",
  "你好吗天猫在哪",
  "添加精灵",
  "天明精灵",
  "猫猫你好",
  "你好大猫",
  "天啊精灵",
  "天猫京东",
  "天猫好",
  "你天猫好",
  "精灵天猫",
  "天猫积分",
  "天猫的快递到了",
  "精灵球",
  "猫咪精灵",
  "电脑精灵",
  "你好同学",
  "你好天津",
  "天马行空",
  "田径比赛",
  "天才少年",
  "你好谢谢",
  "天猫国际",
  "天天精灵",
  "你好天使",
  "你好甜美",
  "天猫会员",
  "森林精灵",
  "天猫淘宝",
  "你好啊天",
  "天冷了猫",
];

/** Everyday household Mandarin. */
export const SENTENCES = [
  "今天晚上吃什么",
  "明天早上七点叫我起床",
  "我去买点菜",
  "孩子们该写作业了",
  "外面下雨了吗",
  "把灯关掉吧",
  "我们周末去公园玩",
  "你看见我的钥匙了吗",
  "这个菜有点咸",
  "妈妈打电话来了",
  "快点把衣服收进来",
  "电视声音太大了",
  "今天天气真不错",
  "我有点累了",
  "晚饭做好了快来吃",
  "明天要开会",
  "你几点下班",
  "超市里的苹果很便宜",
  "这本书很有意思",
  "我想喝杯茶",
  "帮我拿一下杯子",
  "小狗又跑出去了",
  "地板刚拖过小心滑",
  "垃圾该倒了",
  "周五晚上看电影吧",
  "奶奶的生日快到了",
  "这个月电费好贵",
  "洗衣机坏了",
  "我们换个频道",
  "门铃响了",
  "你作业写完了没有",
  "别玩手机了",
  "今天路上好堵",
  "空调温度调低一点",
  "冰箱里还有牛奶吗",
  "我明天出差",
  "下周要考试",
  "这件衣服很好看",
  "快递到了吗",
  "我把钱包忘在车里了",
  "记得带伞",
  "早点睡觉",
  "你吃过早饭了吗",
  "这道题怎么做",
  "他们什么时候到",
  "我们去楼下散步",
  "厨房的水龙头漏水",
  "帮我订个外卖",
  "这首歌真好听",
  "爷爷在看报纸",
  "我们晚上包饺子",
  "窗户开一下透透气",
  "今天是星期几",
  "我找不到遥控器了",
  "孩子发烧了要去医院",
  "妈妈做的红烧肉最好吃",
  "公司楼下新开了一家店",
  "我想学游泳",
  "你喜欢什么颜色",
  "别忘了给花浇水",
  "这个周末加班",
  "我们打算明年去旅游",
  "水烧开了",
  "鞋子放在门口",
  "你听说了吗",
  "车子该保养了",
  "我要去银行",
  "他的中文说得很好",
  "今天的新闻看了吗",
  "这个价格太贵了",
  "我们点个火锅吧",
  "天气预报说明天降温",
  "你的手机在响",
  "我把作业放在桌子上了",
  "猫在沙发上睡觉",
  "你帮我看一下孩子",
  "我今天跑了五公里",
  "早上好",
  "晚安",
  "谢谢你",
  "没关系",
  "对不起我来晚了",
  "我们一起吃饭吧",
  "这个问题很难",
  "请把盐递给我",
  "楼上的邻居很吵",
  "我想换个工作",
  "地铁站离这里不远",
  "你要不要喝水",
  "他在房间里打游戏",
  "我们明天去看爷爷奶奶",
  "这个西瓜很甜",
  "你觉得怎么样",
  "饭菜凉了热一下",
  "电脑又死机了",
  "帮我把窗帘拉上",
  "今天的作业很多",
  "周末睡个懒觉",
  "我们养一只猫吧",
  "商场在打折",
  "你的头发剪短了",
  "我在开车等会儿说",
  "这个电影太吓人了",
  "水果要洗干净",
  "小心烫",
  "我们玩个游戏",
  "他考试考得很好",
  "明天记得交水费",
  "这里的风景真美",
  "你慢慢说",
  "我听不清楚",
  "声音大一点",
  "我们去吃烤鸭",
  "茶几上有瓜子",
  "天气热了开空调",
  "宝宝睡着了小声点",
  "他们在客厅聊天",
  "我妈让我早点回家",
  "这个包多少钱",
  "我要减肥了",
  "外卖送到楼下了",
  "你帮我查一下航班",
  "今天的股票涨了",
  "我们租的房子到期了",
  "猫粮快吃完了",
  "给我讲个故事",
  "放一首周杰伦的歌",
  "现在几点了",
  "明天会下雪吗",
  "把音量调小",
  "我想听相声",
  "设一个十分钟的闹钟",
  "北京今天多少度",
];

/** English, for the bilingual households and the TV. */
export const ENGLISH = [
  "good morning everyone",
  "what time is it",
  "turn off the lights please",
  "I will be home late tonight",
  "did you feed the cat",
  "the meeting starts at nine",
  "let's order pizza",
  "where are my keys",
  "the weather is nice today",
  "can you hear me",
  "hello there",
  "this is the evening news",
  "please close the door",
  "I love this song",
  "how was school today",
  "the train is delayed again",
  "thank you very much",
  "see you tomorrow",
  "we need more milk",
  "the game starts in ten minutes",
];

/** Deterministic half split by index parity: even → training, odd → evaluation. */
export function split<T>(xs: readonly T[]): { train: T[]; held: T[] } {
  return { train: xs.filter((_, i) => i % 2 === 0), held: xs.filter((_, i) => i % 2 === 1) };
}

/**
 * One-syllable substitutions, per keyword character: syllables that differ from it in initial or
 * final (never only in tone — a tone-only change is a homophone that synthetic speech barely
 * renders, and training on it as a negative would teach the model to miss real wakes).
 */
const SUBSTITUTES: Readonly<Record<string, readonly string[]>> = {
  天: ["千", "先", "边", "电", "偏", "年", "面", "今", "听", "他", "通", "坦", "间"], // tian
  猫: ["妈", "门", "米", "马", "牛", "狗", "鸟", "包", "高", "刀", "跑", "猴", "苗", "摸"], // mao
  精: ["金", "星", "清", "兵", "灯", "生", "真", "家", "鸡", "宁", "丁", "张", "新"], // jing
  灵: ["林", "龙", "兰", "明", "娘", "品", "选", "神", "英", "平", "亮", "丽", "乐", "轮"], // ling
  你: ["李", "米", "他", "我", "女", "西", "一"], // ni (not 您: 您好天猫 is a polite wake, not a miss)
  好: ["早", "老", "高", "少", "草", "宝", "跑", "走", "小"], // hao
};

/**
 * Systematic near-misses: each keyword with one syllable replaced, in every position. They make
 * the detector listen to every syllable rather than to the most distinctive ones, which is what
 * generalises to near-miss phrases nobody listed. Deterministic; phrases already in NEAR_MISSES
 * are left out.
 */
export function substitutionNearMisses(): string[] {
  const out: string[] = [];
  for (const kw of Object.values(KEYWORD_TEXT)) {
    const chars = [...kw];
    chars.forEach((c, i) => {
      for (const s of SUBSTITUTES[c] ?? []) {
        const t = [...chars.slice(0, i), s, ...chars.slice(i + 1)].join("");
        if (!NEAR_MISSES.includes(t) && !out.includes(t)) out.push(t);
      }
    });
  }
  return out;
}

/**
 * Substitution near-misses split in two halves: the held half is only ever evaluated on (phrases
 * the model never heard, a stand-in for the near-misses of real households that no list
 * anticipates); the training half is trained on when scripts/train-wake is asked to.
 */
export function substitutionSplit(): { train: string[]; held: string[] } {
  return split(substitutionNearMisses());
}

/**
 * Random syllable strings drawn from the characters of the given sentences plus the keywords'
 * own characters (so the detector meets 天, 猫, 精, 灵 in every order and context). Never
 * containing a keyword.
 */
export function syllableStrings(sentences: readonly string[], n: number, r: () => number): string[] {
  const weighted = [...sentences.join(""), ..."天猫精灵你好".repeat(20)];
  const out: string[] = [];
  while (out.length < n) {
    const len = 3 + Math.floor(r() * 8);
    let t = "";
    for (let i = 0; i < len; i++) t += weighted[Math.floor(r() * weighted.length)]!;
    if (Object.values(KEYWORD_TEXT).some((k) => t.includes(k))) continue;
    out.push(t);
  }
  return out;
}
