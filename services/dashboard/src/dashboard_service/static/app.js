// The shop owner's dashboard page: figures, daily series and live updates from the dashboard API
// (contract: docs in the dashboard service). Plain ES module, no build step; Chart.js is vendored
// and loaded as a classic script before this module, so it is read from `window.Chart`.

const TOKEN_KEY = "orderflow.dashboard.token";
const LANG_KEY = "orderflow.dashboard.lang";
const API = "v1/"; // relative, so the page also works behind a path prefix
const STREAM_RECONNECT_MIN_MS = 1000;
const STREAM_RECONNECT_MAX_MS = 30000;
// The service sends a keep-alive comment every 15 s; silence for three of them means the
// connection is dead even if TCP has not noticed yet.
const STREAM_SILENCE_MS = 45000;
// Stream-triggered refetches are spaced at least this far apart, so a busy platform costs an open
// page two requests per interval at most, while a change still shows within a second.
const LIVE_REFRESH_SPACING_MS = 500;
// Figures also change without events: "today" ends, and an event missed while the stream was
// down would otherwise stay missing until the next one. A slow safety refetch covers both.
const SAFETY_REFRESH_MS = 5 * 60 * 1000;
const SERIES_MAX_DAYS = 92; // the contract's limit for /v1/series

// localStorage throws in some privacy modes; the page then just forgets between visits.
const storage = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      // nothing to do: the value lives in this tab only
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Labels: every text on the page, in both languages, in this one dictionary.

const MESSAGES = {
  en: {
    title: "Orderflow dashboard",
    shop: "Shop",
    all_shops: "All shops",
    period: "Period",
    period_day: "Today",
    period_week: "This week",
    period_month: "This month",
    period_range: "Custom",
    period_all: "All time",
    range_from: "From",
    range_to: "To",
    time_zone: "Time zone",
    last_event: "Last event at",
    no_event: "none yet",
    all_time: "All time",
    live: "Live",
    connecting: "Connecting…",
    reconnecting: "Reconnecting in {s} s…",
    offline: "Not live",
    sign_out: "Sign out",
    signin_title: "Sign in",
    signin_help: "Paste the access token you were given.",
    signin_token: "Access token",
    signin_submit: "Open dashboard",
    token_refused: "The token was refused",
    forbidden: "Not allowed",
    unreachable: "The dashboard service cannot be reached; showing the last figures received.",
    range_invalid: "Choose a start date on or before the end date.",
    updated: "Updated",
    block_orders: "Orders",
    block_shipping: "Shipping",
    block_aftersales: "After-sales",
    block_ratings: "Ratings",
    ratings_window: "last {n} days",
    chart_orders: "Orders per day",
    chart_gmv: "GMV per day",
    series_placed: "Placed",
    series_paid: "Paid",
    gmv: "GMV",
    gmv_hint: "Money taken in the period (orders, deposits and balances paid); refunds not subtracted.",
    placed: "Orders placed",
    paid: "Orders paid",
    paid_hint: "Orders whose first payment falls in the period.",
    payment_conversion: "Payment conversion",
    payment_conversion_hint: "Share of the orders placed in the period that have been paid.",
    average_order_value: "Average order value",
    cancelled: "Cancelled",
    auto_closed_unpaid: "Auto-closed unpaid",
    auto_closed_unpaid_hint: "Orders closed because the payment or presale balance was not made in time.",
    presale_deposits: "Presale deposits",
    presale_balances: "Presale balances",
    deposits_forfeited: "Deposits forfeited",
    within_24h_share: "Shipped within 24 h",
    within_24h_hint: "Share of shipped parcels that left within 24 hours of payment.",
    within_48h_share: "Shipped within 48 h",
    of_shipped: "of {n} shipped",
    requested: "Shipments requested",
    target_missed: "SLA target missed",
    target_missed_hint: "Shipments that missed the ship-by target.",
    limit_missed: "SLA limit missed",
    limit_missed_hint: "Shipments that missed the hard ship-by limit.",
    exception_rate: "Logistics exception rate",
    with_exceptions: "{n} with exceptions",
    shipping_cancelled: "Shipments cancelled",
    timeouts: "Refund time-outs",
    timeouts_hint: "Refund cases the seller let time out. Must be zero.",
    timeouts_alarm: "{n} refund cases timed out without an answer from the seller",
    alarm: "ALARM",
    ok: "OK",
    refund_rate: "Refund rate",
    refund_cases: "{n} cases / {m} paid orders",
    refunded: "Refunded",
    refund_amount_rate: "Refund amount rate",
    refund_amount_rate_hint: "Refunded money as a share of GMV (single currency only).",
    dispute_rate: "Dispute rate",
    disputes: "{n} disputes",
    ruled_against_seller_share: "Ruled against the seller",
    rulings: "of {n} rulings",
    complaint_rate: "Complaint rate",
    complaint_rate_hint: "Complaints filed / orders paid in the period.",
    complaints_filed: "{n} complaints / {m} paid orders",
    complaint_resolved_share: "Complaints resolved in time",
    complaint_resolved_share_hint: "Closed without the platform: the shop accepted and replied before its deadlines.",
    complaint_escalated_share: "Complaints escalated",
    complaints_escalated: "{n} to the platform",
    complaint_seller_responsible: "Complaints: seller responsible",
    rating_description: "Item as described",
    rating_service: "Service",
    rating_shipping_speed: "Shipping speed",
    ratings_count: "Ratings received",
    follow_up_rate: "Bad ratings answered",
    follow_up_rate_hint: "Medium and bad ratings (a score at or under the shop's threshold) the seller answered.",
    follow_up_needed: "{n} medium or bad",
    follow_up_answered: "{n} answered / {m} medium or bad",
    follow_up_answered_in_time: "{n} answered in time",
    follow_up_rate_in_time: "Answered in time",
    out_of_five: "out of 5",
  },
  zh: {
    title: "订单看板",
    shop: "店铺",
    all_shops: "全平台",
    period: "时间段",
    period_day: "今天",
    period_week: "本周",
    period_month: "本月",
    period_range: "自定义",
    period_all: "全部",
    range_from: "开始",
    range_to: "结束",
    time_zone: "时区",
    last_event: "最新事件",
    no_event: "暂无",
    all_time: "全部时间",
    live: "实时",
    connecting: "连接中…",
    reconnecting: "{s} 秒后重连…",
    offline: "未连接",
    sign_out: "退出",
    signin_title: "登录",
    signin_help: "请粘贴您的访问令牌。",
    signin_token: "访问令牌",
    signin_submit: "打开看板",
    token_refused: "令牌被拒绝",
    forbidden: "无权访问",
    unreachable: "无法连接看板服务，当前显示的是最近一次收到的数据。",
    range_invalid: "开始日期不能晚于结束日期。",
    updated: "更新于",
    block_orders: "订单",
    block_shipping: "发货",
    block_aftersales: "售后",
    block_ratings: "评价",
    ratings_window: "近 {n} 天",
    chart_orders: "每日订单",
    chart_gmv: "每日成交额",
    series_placed: "下单",
    series_paid: "支付",
    gmv: "成交额 (GMV)",
    gmv_hint: "本时段收款（订单、定金、尾款），未扣除退款。",
    placed: "下单数",
    paid: "支付订单数",
    paid_hint: "首次付款发生在本时段的订单。",
    payment_conversion: "支付转化率",
    payment_conversion_hint: "本时段下单的订单中已付款的比例。",
    average_order_value: "客单价",
    cancelled: "已取消",
    auto_closed_unpaid: "超时未付自动关闭",
    auto_closed_unpaid_hint: "因未按时付款或未付尾款而关闭的订单。",
    presale_deposits: "预售定金",
    presale_balances: "预售尾款",
    deposits_forfeited: "定金不退",
    within_24h_share: "24 小时内发货",
    within_24h_hint: "付款后 24 小时内发出的包裹占已发货的比例。",
    within_48h_share: "48 小时内发货",
    of_shipped: "共发货 {n} 单",
    requested: "发货请求",
    target_missed: "未达发货目标",
    target_missed_hint: "错过发货目标时间的包裹。",
    limit_missed: "超过发货时限",
    limit_missed_hint: "超过最晚发货时限的包裹。",
    exception_rate: "物流异常率",
    with_exceptions: "{n} 单有异常",
    shipping_cancelled: "已取消发货",
    timeouts: "退款超时",
    timeouts_hint: "商家未及时处理而超时的退款申请，必须为零。",
    timeouts_alarm: "{n} 个退款申请因商家未处理而超时",
    alarm: "警报",
    ok: "正常",
    refund_rate: "退款率",
    refund_cases: "{n} 个申请 / {m} 个支付订单",
    refunded: "退款金额",
    refund_amount_rate: "退款金额占比",
    refund_amount_rate_hint: "退款金额占成交额的比例（仅限单一币种）。",
    dispute_rate: "纠纷率",
    disputes: "{n} 起纠纷",
    ruled_against_seller_share: "判定商家责任",
    rulings: "共 {n} 次裁决",
    complaint_rate: "投诉率",
    complaint_rate_hint: "期内投诉数 / 支付订单数。",
    complaints_filed: "{n} 起投诉 / {m} 个支付订单",
    complaint_resolved_share: "按时处理的投诉",
    complaint_resolved_share_hint: "无需平台介入即关闭:商家在时限内受理并回复。",
    complaint_escalated_share: "升级平台的投诉",
    complaints_escalated: "{n} 起转平台",
    complaint_seller_responsible: "投诉:商家责任",
    rating_description: "描述相符",
    rating_service: "服务态度",
    rating_shipping_speed: "发货速度",
    ratings_count: "收到评价",
    follow_up_rate: "中差评回复率",
    follow_up_rate_hint: "商家已回复的中差评(任一评分不高于店铺阈值)占比。",
    follow_up_needed: "{n} 条中差评",
    follow_up_answered: "{n} 条已回复 / {m} 条中差评",
    follow_up_answered_in_time: "{n} 条按时回复",
    follow_up_rate_in_time: "按时回复",
    out_of_five: "满分 5 分",
  },
};

// ---------------------------------------------------------------------------------------------
// The tiles. `figure` is the dotted path into the /v1/figures answer and becomes the tile's
// data-figure attribute; `subs` are smaller figures shown under the main number.

const TILES = {
  orders: [
    { figure: "orders.gmv", label: "gmv", hint: "gmv_hint", kind: "money", wide: true },
    { figure: "orders.placed", label: "placed", kind: "count" },
    { figure: "orders.paid", label: "paid", hint: "paid_hint", kind: "count" },
    { figure: "orders.payment_conversion", label: "payment_conversion", hint: "payment_conversion_hint", kind: "share" },
    { figure: "orders.average_order_value", label: "average_order_value", kind: "money", emptyIsUnknown: true },
    { figure: "orders.cancelled", label: "cancelled", kind: "count" },
    { figure: "orders.auto_closed_unpaid", label: "auto_closed_unpaid", hint: "auto_closed_unpaid_hint", kind: "count" },
    { figure: "orders.presale_deposits.count", label: "presale_deposits", kind: "count",
      subs: [{ figure: "orders.presale_deposits.amount", kind: "money" }] },
    { figure: "orders.presale_balances.count", label: "presale_balances", kind: "count",
      subs: [{ figure: "orders.presale_balances.amount", kind: "money" }] },
    { figure: "orders.deposits_forfeited.count", label: "deposits_forfeited", kind: "count",
      subs: [{ figure: "orders.deposits_forfeited.amount", kind: "money" }] },
  ],
  aftersales: [
    { figure: "aftersales.timeouts", label: "timeouts", hint: "timeouts_hint", kind: "count", alarm: true },
    { figure: "aftersales.refund_rate", label: "refund_rate", kind: "share",
      subs: [{ figure: ["aftersales.cases", "aftersales.paid_orders"], kind: "count", text: "refund_cases" }] },
    { figure: "aftersales.refunded", label: "refunded", kind: "money" },
    { figure: "aftersales.refund_amount_rate", label: "refund_amount_rate", hint: "refund_amount_rate_hint", kind: "share" },
    { figure: "aftersales.dispute_rate", label: "dispute_rate", kind: "share",
      subs: [{ figure: "aftersales.disputes", kind: "count", text: "disputes" }] },
    { figure: "aftersales.ruled_against_seller_share", label: "ruled_against_seller_share", kind: "share",
      subs: [{ figure: "aftersales.rulings", kind: "count", text: "rulings" }] },
    { figure: "complaints.rate", label: "complaint_rate", hint: "complaint_rate_hint", kind: "share",
      subs: [{ figure: ["complaints.filed", "aftersales.paid_orders"], kind: "count", text: "complaints_filed" }] },
    { figure: "complaints.resolved_within_deadline_share", label: "complaint_resolved_share",
      hint: "complaint_resolved_share_hint", kind: "share" },
    { figure: "complaints.escalated_share", label: "complaint_escalated_share", kind: "share",
      subs: [{ figure: "complaints.escalated", kind: "count", text: "complaints_escalated" }] },
    { figure: "complaints.responsibility.seller", label: "complaint_seller_responsible", kind: "count" },
  ],
  shipping: [
    { figure: "shipping.within_24h_share", label: "within_24h_share", hint: "within_24h_hint", kind: "share",
      subs: [{ figure: "shipping.shipped", kind: "count", text: "of_shipped" }] },
    { figure: "shipping.within_48h_share", label: "within_48h_share", kind: "share" },
    { figure: "shipping.requested", label: "requested", kind: "count" },
    { figure: "shipping.target_missed", label: "target_missed", hint: "target_missed_hint", kind: "count", warn: true },
    { figure: "shipping.limit_missed", label: "limit_missed", hint: "limit_missed_hint", kind: "count", warn: true },
    { figure: "shipping.exception_rate", label: "exception_rate", kind: "share",
      subs: [{ figure: "shipping.with_exceptions", kind: "count", text: "with_exceptions" }] },
    { figure: "shipping.cancelled", label: "shipping_cancelled", kind: "count" },
  ],
  ratings: [
    { figure: "ratings.description", label: "rating_description", kind: "rating" },
    { figure: "ratings.service", label: "rating_service", kind: "rating" },
    { figure: "ratings.shipping_speed", label: "rating_shipping_speed", kind: "rating" },
    { figure: "ratings.count", label: "ratings_count", kind: "count",
      subs: [{ figure: "ratings.window_days", kind: "count", text: "ratings_window" }] },
    { figure: "ratings.follow_up.rate", label: "follow_up_rate", hint: "follow_up_rate_hint", kind: "share",
      subs: [{ figure: ["ratings.follow_up.answered", "ratings.follow_up.needed"], kind: "count", text: "follow_up_answered" }] },
    { figure: "ratings.follow_up.rate_in_time", label: "follow_up_rate_in_time", kind: "share",
      subs: [{ figure: "ratings.follow_up.answered_in_time", kind: "count", text: "follow_up_answered_in_time" }] },
  ],
};

// ---------------------------------------------------------------------------------------------
// State. One object, changed only through the functions below.

const state = {
  lang: initialLanguage(),
  token: null,
  claims: null, // decoded (unverified) token claims: a hint for the UI, the server decides
  shops: [],
  platformAllowed: true,
  shopId: null, // null = the whole platform
  period: "day",
  rangeFrom: "",
  rangeTo: "",
  figures: null,
  series: null,
  generation: 0, // increases on every scope change; answers for an older scope are dropped
  shownGeneration: -1, // the generation of the figures on screen
  refreshing: false,
  refreshAgain: false,
  serviceDay: null, // { day, browserDay }: the service's today as last seen (see serviceToday)
  lastLiveRefresh: 0,
  liveRefreshTimer: null,
  rolloverTimer: null,
  safetyTimer: null,
  stream: { controller: null, state: "offline", retryMs: STREAM_RECONNECT_MIN_MS, retryAt: 0, timer: null, connectedOnce: false },
};

const charts = { orders: null, gmv: null };

// ---------------------------------------------------------------------------------------------
// Language and formatting.

function initialLanguage() {
  const saved = storage.get(LANG_KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function locale() {
  const browser = navigator.language || "";
  if (state.lang === "zh") return browser.toLowerCase().startsWith("zh") ? browser : "zh-CN";
  return browser.toLowerCase().startsWith("en") ? browser : "en-US";
}

function t(key, params = {}) {
  const text = MESSAGES[state.lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

const DASH = "—";

function formatCount(value) {
  if (value === null || value === undefined) return DASH;
  return new Intl.NumberFormat(locale(), { useGrouping: true, maximumFractionDigits: 0 }).format(value);
}

function formatShare(value) {
  if (value === null || value === undefined) return DASH;
  return new Intl.NumberFormat(locale(), {
    style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1,
  }).format(value);
}

function formatRating(value) {
  if (value === null || value === undefined) return DASH;
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 2 }).format(value);
}

function currencyDigits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2; // an unknown code: the contract's minor units are hundredths for nearly all
  }
}

// `currencies` is every currency shown next to this one: the narrow symbol (¥, $) is used unless
// two of them would share it (CNY and JPY are both ¥), then the standard one (CN¥, JP¥).
function formatMoneyAmount(minor, currency, currencies = [currency]) {
  const digits = currencyDigits(currency);
  const narrow = (code) => {
    try {
      return new Intl.NumberFormat(locale(), { style: "currency", currency: code, currencyDisplay: "narrowSymbol" })
        .formatToParts(0).find((part) => part.type === "currency")?.value ?? code;
    } catch {
      return code;
    }
  };
  const symbols = currencies.map(narrow);
  const display = new Set(symbols).size === symbols.length ? "narrowSymbol" : "symbol";
  try {
    return new Intl.NumberFormat(locale(), {
      style: "currency", currency, currencyDisplay: display,
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(minor / 10 ** digits);
  } catch {
    return `${currency} ${(minor / 10 ** digits).toFixed(digits)}`;
  }
}

// Money is an object of ISO currency → integer minor units; several currencies side by side.
function formatMoney(value, emptyIsUnknown = false) {
  if (value === null || value === undefined) return [DASH];
  const currencies = Object.keys(value).sort();
  if (currencies.length === 0) return [emptyIsUnknown ? DASH : formatCount(0)];
  return currencies.map((code) => formatMoneyAmount(value[code], code, currencies));
}

function dayLabel(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "short", day: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function formatInstant(iso, timeZone) {
  if (!iso) return t("no_event");
  const options = { dateStyle: "medium", timeStyle: "medium" };
  try {
    return new Intl.DateTimeFormat(locale(), { ...options, timeZone }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
  }
}

function zoneOffset(timeZone, at = new Date()) {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(at).find((p) => p.type === "timeZoneName");
    return part ? part.value.replace("GMT", "UTC") : "";
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Calendar days as YYYY-MM-DD strings.

function dayInZone(instant, timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(instant);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function addDays(day, count) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + count)).toISOString().slice(0, 10);
}

function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000);
}

function localToday() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

// "Today" is the service's, not the browser's: a test system's clock may be moved (CLOCK=
// database), and a browser's clock may be wrong. The series answer without from/to ends on the
// service's today; the page remembers how far that is from the browser's day to estimate it
// later (for trimming a month's future days and for a custom range's default end).
function serviceToday() {
  const known = state.serviceDay;
  if (!known) return localToday();
  return addDays(known.day, daysBetween(known.browserDay, localToday()));
}

function learnServiceToday(series) {
  const buckets = series.buckets ?? [];
  if (buckets.length) state.serviceDay = { day: buckets[buckets.length - 1].day, browserDay: localToday() };
}

// The days the charts show for the figures' scope. Today, this week and all time: the service's
// default (the 14 days ending today, which hold any week). This month and a custom range: its
// days, the last 92 at most (the contract's limit); days after today are trimmed off.
function seriesQuery(scope) {
  if (!scope.from || !scope.to || state.period === "day" || state.period === "week") return null;
  const zone = scope.time_zone;
  const to = dayInZone(new Date(Date.parse(scope.to) - 1), zone); // `to` is exclusive
  let from = dayInZone(new Date(scope.from), zone);
  if (daysBetween(from, to) + 1 > SERIES_MAX_DAYS) from = addDays(to, -(SERIES_MAX_DAYS - 1));
  return { from, to };
}

function withoutFutureDays(series) {
  const today = serviceToday();
  const buckets = (series.buckets ?? []).filter((bucket) => bucket.day <= today);
  return { ...series, buckets: buckets.length ? buckets : series.buckets ?? [] };
}

// ---------------------------------------------------------------------------------------------
// Talking to the API.

class ApiProblem extends Error {
  constructor(status, title, detail) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

async function problemFrom(response) {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail = "";
  try {
    const body = await response.json();
    if (body && typeof body === "object") {
      title = body.title || title;
      detail = body.detail || "";
    }
  } catch {
    // not JSON (a proxy's page, say): the status line is all there is
  }
  return new ApiProblem(response.status, title, detail);
}

async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const search = query.toString();
  const url = API + path + (search ? `?${search}` : "");
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json" },
    cache: "no-store",
  });
  if (!response.ok) throw await problemFrom(response);
  return response.json();
}

function figuresParams() {
  const params = { shop_id: state.shopId, period: state.period };
  if (state.period === "range") {
    params.from = state.rangeFrom;
    params.to = state.rangeTo;
  }
  return params;
}

// Fetches figures then series for the current scope. Calls that arrive while one is running are
// folded into one more run afterwards, so a burst of stream events costs at most two round trips.
async function refresh() {
  if (state.refreshing) {
    state.refreshAgain = true;
    return;
  }
  state.refreshing = true;
  try {
    do {
      state.refreshAgain = false;
      await refreshOnce();
    } while (state.refreshAgain);
  } finally {
    state.refreshing = false;
  }
}

async function refreshOnce() {
  if (state.period === "range" && (!state.rangeFrom || !state.rangeTo || state.rangeFrom > state.rangeTo)) {
    showBanner(t("range_invalid"));
    return;
  }
  const generation = state.generation;
  let figures;
  let series;
  try {
    figures = await getJson("figures", figuresParams());
    if (generation !== state.generation) return;
    const days = seriesQuery(figures.scope);
    series = await getJson("series", { shop_id: state.shopId, ...days });
    if (days) series = withoutFutureDays(series);
    else learnServiceToday(series);
  } catch (error) {
    if (generation === state.generation) handleError(error);
    return;
  }
  if (generation !== state.generation) return;
  const sameScope = state.shownGeneration === generation;
  state.figures = figures;
  state.series = series;
  state.shownGeneration = generation;
  hideBanner();
  render({ sameScope });
  scheduleRollover(figures.scope);
}

// Today/this week/this month roll over at the scope's end (in the service's zone): refetch then.
function scheduleRollover(scope) {
  clearTimeout(state.rolloverTimer);
  state.rolloverTimer = null;
  if (state.period === "range" || !scope.to) return;
  const wait = Date.parse(scope.to) - Date.now() + 2000;
  if (wait > 0 && wait < 2 ** 31 - 1) state.rolloverTimer = setTimeout(refresh, wait);
}

function handleError(error) {
  if (error instanceof ApiProblem) {
    if (error.status === 401) {
      signOut(`${t("token_refused")}: ${error.detail || error.title}`);
      return;
    }
    if (error.status === 403 && state.shopId === null && state.platformAllowed) {
      // A seller's token: the platform view is refused, so offer its own shop(s) only.
      state.platformAllowed = false;
      renderShopPicker();
      if (state.shopId !== null) {
        scopeChanged();
        return;
      }
    }
    const prefix = error.status === 403 ? `${t("forbidden")} — ` : "";
    showBanner(`${prefix}${error.title}${error.detail ? `: ${error.detail}` : ""}`);
    return;
  }
  console.warn("dashboard request failed", error);
  showBanner(t("unreachable"));
}

// ---------------------------------------------------------------------------------------------
// The live stream: fetch() with the Authorization header (EventSource cannot send one, and the
// token must stay out of URLs), the body read as server-sent events.

function startStream() {
  stopStream();
  const controller = new AbortController();
  state.stream.controller = controller;
  setLive("connecting");
  readStream(controller).catch((error) => {
    if (controller.signal.aborted && state.stream.controller !== controller) return; // replaced
    if (error instanceof ApiProblem && (error.status === 401 || error.status === 403)) {
      handleError(error);
      setLive("offline");
      return;
    }
    scheduleReconnect();
  });
}

function stopStream() {
  const stream = state.stream;
  clearTimeout(stream.timer);
  stream.timer = null;
  if (stream.controller) {
    const controller = stream.controller;
    stream.controller = null;
    controller.abort();
  }
}

function scheduleReconnect() {
  const stream = state.stream;
  stream.controller = null;
  const delay = stream.retryMs * (0.8 + Math.random() * 0.4);
  stream.retryMs = Math.min(stream.retryMs * 2, STREAM_RECONNECT_MAX_MS);
  stream.retryAt = Date.now() + delay;
  setLive("reconnecting");
  clearTimeout(stream.timer);
  const tick = () => {
    if (Date.now() >= stream.retryAt) {
      startStream();
    } else {
      renderLive();
      stream.timer = setTimeout(tick, Math.min(1000, stream.retryAt - Date.now()));
    }
  };
  stream.timer = setTimeout(tick, Math.min(1000, delay));
}

async function readStream(controller) {
  const response = await fetch(`${API}stream`, {
    headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
    cache: "no-store",
    signal: controller.signal,
  });
  if (!response.ok) throw await problemFrom(response);
  if (!response.body) throw new Error("the stream has no body");
  const stream = state.stream;
  stream.retryMs = STREAM_RECONNECT_MIN_MS;
  setLive("live");
  // Events may have been applied while we were not listening (or the first fetch failed because
  // the service was down): catch up once on (re)connect.
  if (stream.connectedOnce || (!state.refreshing && state.shownGeneration !== state.generation)) {
    if (!state.shops.length) loadShops();
    refresh();
  }
  stream.connectedOnce = true;

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser((event) => onStreamEvent(event));
  let silence = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
      parser.push(value);
    }
  } finally {
    clearTimeout(silence);
  }
  throw new Error("the stream ended");
}

// Server-sent events framing (WHATWG HTML §9.2): lines end in CRLF, LF or CR; a blank line ends
// an event; `:` starts a comment; several `data:` lines join with newlines.
class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.type = "";
    this.data = [];
  }

  push(chunk) {
    let text = this.buffer + chunk;
    // A CR at the end may be the first half of a CRLF split across chunks: decide next time.
    const pendingCr = text.endsWith("\r");
    if (pendingCr) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\n|\r/);
    this.buffer = lines.pop() + (pendingCr ? "\r" : "");
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === "") {
      const data = this.data.join("\n");
      if (data !== "") this.onEvent({ type: this.type || "message", data });
      this.reset();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
  }
}

function onStreamEvent(event) {
  if (event.type !== "applied") return;
  let applied;
  try {
    applied = JSON.parse(event.data);
  } catch {
    console.warn("an applied event that is not JSON", event.data);
    return;
  }
  const shopIds = Array.isArray(applied.shop_ids) ? applied.shop_ids : [];
  if (shopIds.some((id) => !state.shops.some((shop) => shop.shop_id === id))) loadShops();
  if (state.shopId === null || shopIds.includes(state.shopId)) liveRefresh();
}

function liveRefresh() {
  if (state.liveRefreshTimer !== null) return; // one is already due
  const wait = state.lastLiveRefresh + LIVE_REFRESH_SPACING_MS - Date.now();
  const run = () => {
    state.liveRefreshTimer = null;
    state.lastLiveRefresh = Date.now();
    refresh();
  };
  if (wait <= 0) run();
  else state.liveRefreshTimer = setTimeout(run, wait);
}

// ---------------------------------------------------------------------------------------------
// Authentication.

function decodeClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null; // not a JWT we can read: the server's answers decide instead
  }
}

// Returns the token from a `#token=...` fragment (stored, then removed from the address bar so it
// is not bookmarked, shared or kept in history), or null.
function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = fragment.get("token")?.trim();
  if (!token) return null;
  storage.set(TOKEN_KEY, token);
  fragment.delete("token");
  const rest = fragment.toString();
  history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  return token;
}

function signIn(token) {
  state.token = token;
  state.claims = decodeClaims(token);
  state.platformAllowed = state.claims?.role !== "seller" && state.claims?.role !== "buyer";
  state.shopId = state.platformAllowed ? null : state.claims?.shop_id ?? null;
  state.figures = null;
  state.series = null;
  state.stream.connectedOnce = false;
  state.generation += 1;
  el("signin").hidden = true;
  el("controls").hidden = false;
  el("statusbar").hidden = false;
  el("sign-out").hidden = false;
  loadShops().then((usable) => {
    if (!usable) return; // refused: the message is shown, asking for figures would repeat it
    refresh();
    startStream();
    clearInterval(state.safetyTimer);
    state.safetyTimer = setInterval(refresh, SAFETY_REFRESH_MS);
  });
}

function signOut(message = "") {
  stopStream();
  clearInterval(state.safetyTimer);
  clearTimeout(state.rolloverTimer);
  setLive("offline");
  storage.set(TOKEN_KEY, null);
  state.token = null;
  state.generation += 1;
  el("dashboard").hidden = true;
  el("controls").hidden = true;
  el("statusbar").hidden = true;
  el("sign-out").hidden = true;
  hideBanner();
  el("signin").hidden = false;
  const error = el("signin-error");
  error.textContent = message;
  error.hidden = !message;
  el("signin-token").value = "";
  el("signin-token").focus();
}

// Loads the shops the token may see; false when the token is refused outright.
async function loadShops() {
  try {
    const answer = await getJson("shops");
    state.shops = Array.isArray(answer.shops) ? answer.shops : [];
    if (!state.platformAllowed && state.shopId === null && state.shops.length) {
      state.shopId = state.shops[0].shop_id;
    }
    renderShopPicker();
    return true;
  } catch (error) {
    handleError(error);
    return !(error instanceof ApiProblem && (error.status === 401 || error.status === 403));
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

function el(id) {
  return document.getElementById(id);
}

function valueAt(path) {
  let value = state.figures;
  for (const key of path.split(".")) {
    if (value === null || value === undefined) return undefined;
    value = value[key];
  }
  return value;
}

function formatted(kind, value, spec = {}) {
  switch (kind) {
    case "money": return formatMoney(value, spec.emptyIsUnknown);
    case "share": return [formatShare(value)];
    case "rating": return [formatRating(value)];
    default: return [formatCount(value)];
  }
}

// An element holding one figure: data-figure names it, data-raw is the API's JSON value.
function figureElement(tag, className, figure, kind, spec = {}) {
  const node = document.createElement(tag);
  node.className = className;
  node.dataset.figure = figure;
  const value = valueAt(figure);
  node.dataset.raw = JSON.stringify(value ?? null);
  const parts = formatted(kind, value, spec);
  parts.forEach((text, index) => {
    const span = document.createElement("span");
    span.className = "amount";
    span.textContent = text;
    node.append(span);
    if (index < parts.length - 1) node.append(" ");
  });
  if (kind === "money" && parts.length > 2) node.classList.add("many");
  return node;
}

function subElement(sub) {
  const line = document.createElement("div");
  line.className = "tile-sub";
  if (sub.text) {
    const figures = Array.isArray(sub.figure) ? sub.figure : [sub.figure];
    // Split the sentence around its {n}/{m} slots so each number is its own figure element.
    const sentence = MESSAGES[state.lang][sub.text] ?? MESSAGES.en[sub.text];
    for (const piece of sentence.split(/(\{[nm]\})/)) {
      const slot = /^\{([nm])\}$/.exec(piece);
      if (slot) line.append(figureElement("span", "sub-figure", figures[slot[1] === "n" ? 0 : 1], sub.kind));
      else if (piece) line.append(piece);
    }
  } else {
    line.append(figureElement("span", "sub-figure", sub.figure, sub.kind));
  }
  return line;
}

function tileElement(spec) {
  const tile = document.createElement("article");
  tile.className = "tile";
  if (spec.wide) tile.classList.add("wide");
  const label = document.createElement("h3");
  label.className = "tile-label";
  label.textContent = t(spec.label);
  if (spec.hint) tile.title = t(spec.hint);
  tile.append(label);
  const main = figureElement("div", "tile-value", spec.figure, spec.kind, spec);
  tile.append(main);
  const value = valueAt(spec.figure);
  if (spec.alarm) {
    const alarmed = typeof value === "number" && value > 0;
    tile.classList.add(alarmed ? "alarm" : "calm");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = alarmed ? t("alarm") : t("ok");
    label.append(" ", badge);
    if (alarmed) tile.setAttribute("role", "alert");
  }
  if (spec.warn && typeof value === "number" && value > 0) tile.classList.add("warn");
  if (spec.kind === "rating") {
    const scale = document.createElement("div");
    scale.className = "tile-sub";
    scale.textContent = t("out_of_five");
    tile.append(scale);
  }
  for (const sub of spec.subs ?? []) tile.append(subElement(sub));
  return tile;
}

// Tiles are rebuilt from the answer each time; a value that moved since the last answer for the
// same scope is briefly highlighted so an owner glancing over sees what changed.
function renderTiles(previous) {
  for (const [block, specs] of Object.entries(TILES)) {
    el(`tiles-${block}`).replaceChildren(...specs.map(tileElement));
  }
  const windowDays = valueAt("ratings.window_days");
  el("ratings-heading").textContent =
    typeof windowDays === "number" ? `${t("block_ratings")} · ${t("ratings_window", { n: windowDays })}` : t("block_ratings");
  if (!previous) return;
  for (const node of document.querySelectorAll("#dashboard [data-figure]")) {
    const before = previous.get(node.dataset.figure);
    if (before !== undefined && before !== node.dataset.raw) node.classList.add("changed");
  }
}

function currentRaws() {
  const raws = new Map();
  for (const node of document.querySelectorAll("#dashboard [data-figure]")) raws.set(node.dataset.figure, node.dataset.raw);
  return raws;
}

function renderAlarm() {
  const timeouts = valueAt("aftersales.timeouts");
  const strip = el("alarm-strip");
  strip.hidden = !(typeof timeouts === "number" && timeouts > 0);
  strip.textContent = strip.hidden ? "" : `${t("alarm")} · ${t("timeouts_alarm", { n: formatCount(timeouts) })}`;
}

function renderStaticLabels() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const button of document.querySelectorAll(".lang-toggle button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  el("signin-token").placeholder = t("signin_token");
}

function renderShopPicker() {
  const picker = el("shop-picker");
  const options = [];
  if (state.platformAllowed) options.push(new Option(t("all_shops"), ""));
  for (const shop of state.shops) options.push(new Option(shop.shop_id, shop.shop_id));
  if (state.shopId !== null && !state.shops.some((shop) => shop.shop_id === state.shopId)) {
    options.push(new Option(state.shopId, state.shopId));
  }
  if (!state.platformAllowed && state.shopId === null && state.shops.length) state.shopId = state.shops[0].shop_id;
  picker.replaceChildren(...options);
  picker.value = state.shopId ?? "";
  picker.disabled = options.length <= 1;
}

function renderPeriodPicker() {
  for (const button of el("period-picker").querySelectorAll("button")) {
    const active = button.dataset.period === state.period;
    button.setAttribute("aria-checked", String(active));
    button.classList.toggle("active", active);
  }
  el("range-inputs").hidden = state.period !== "range";
  el("range-from").value = state.rangeFrom;
  el("range-to").value = state.rangeTo;
}

function renderScope() {
  const figures = state.figures;
  if (!figures) return;
  const { scope, last_event: lastEvent } = figures;
  const zone = scope.time_zone;
  const offset = zoneOffset(zone);
  el("scope-tz").textContent = offset ? `${zone} (${offset})` : zone;
  let range = t("all_time");
  if (scope.from && scope.to) {
    const format = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: zone });
    const start = new Date(scope.from);
    const end = new Date(Date.parse(scope.to) - 1); // `to` is exclusive: show the last day included
    range = dayInZone(start, zone) === dayInZone(end, zone) ? format.format(start) : format.formatRange(start, end);
  }
  el("scope-range").textContent = range;
  const last = el("last-event");
  const at = lastEvent?.at ?? null;
  last.dataset.lastEvent = at ?? "";
  if (at) last.dateTime = at;
  else last.removeAttribute("datetime");
  last.textContent = formatInstant(at, zone);
  last.title = lastEvent?.type ?? "";
}

function setLive(liveState) {
  state.stream.state = liveState;
  renderLive();
}

function renderLive() {
  const indicator = el("live-indicator");
  const liveState = state.stream.state;
  indicator.dataset.state = liveState;
  const seconds = Math.max(1, Math.ceil((state.stream.retryAt - Date.now()) / 1000));
  el("live-text").textContent = liveState === "reconnecting" ? t("reconnecting", { s: seconds }) : t(liveState);
}

function showBanner(message) {
  const banner = el("banner");
  banner.textContent = message;
  banner.hidden = false;
}

function hideBanner() {
  el("banner").hidden = true;
}

function render({ sameScope = false } = {}) {
  renderStaticLabels();
  renderShopPicker();
  renderPeriodPicker();
  renderLive();
  if (!state.figures) return;
  el("dashboard").hidden = false;
  renderScope();
  renderTiles(sameScope ? currentRaws() : null);
  renderAlarm();
  renderCharts();
}

// ---------------------------------------------------------------------------------------------
// Charts.

const COLOURS = {
  placed: "#94a3b8",
  paid: "#2563eb",
  gmv: ["#0f766e", "#b45309", "#7c3aed", "#be123c"],
  grid: "rgba(15, 23, 42, 0.06)",
  text: "#64748b",
};

function chartOptions(tickFormat, axisFormat = tickFormat) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: {
      legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12, color: COLOURS.text } },
      tooltip: {
        callbacks: { label: (item) => `${item.dataset.label}: ${tickFormat(item.parsed.y, item.dataset, item.chart)}` },
      },
    },
    scales: {
      x: { grid: { display: false }, ticks: { color: COLOURS.text, maxRotation: 0, autoSkipPadding: 12 } },
      y: {
        beginAtZero: true,
        grid: { color: COLOURS.grid },
        border: { display: false },
        ticks: {
          color: COLOURS.text,
          precision: 0,
          callback(value) {
            return axisFormat(value, null, this.chart);
          },
        },
      },
    },
  };
}

function ensureCharts() {
  const Chart = window.Chart;
  if (!Chart) throw new Error("the vendored Chart.js did not load");
  if (charts.orders) return;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  charts.orders = new Chart(el("chart-orders"), {
    type: "bar",
    data: { labels: [], datasets: [] },
    options: chartOptions((value) => formatCount(value)),
  });
  charts.gmv = new Chart(el("chart-gmv"), {
    type: "line",
    data: { labels: [], datasets: [] },
    options: chartOptions(
      (value, dataset, chart) => {
        const currencies = chart.data.datasets.map((d) => d.currency);
        const currency = dataset.currency;
        if (!currency) return formatCount(value);
        return formatMoneyAmount(Math.round(value * 10 ** currencyDigits(currency)), currency, currencies);
      },
      (value, dataset, chart) => {
        // One currency: its symbol on the axis; several: plain compact numbers (legend names them).
        const currencies = chart.data.datasets.map((d) => d.currency).filter(Boolean);
        const options = { notation: "compact", maximumFractionDigits: 1 };
        if (currencies.length === 1) {
          Object.assign(options, { style: "currency", currency: currencies[0], currencyDisplay: "narrowSymbol" });
        }
        try {
          return new Intl.NumberFormat(locale(), options).format(value);
        } catch {
          return formatCount(value);
        }
      },
    ),
  });
}

function renderCharts() {
  ensureCharts();
  const buckets = state.series?.buckets ?? [];
  const labels = buckets.map((bucket) => dayLabel(bucket.day));

  charts.orders.data.labels = labels;
  charts.orders.data.datasets = [
    { label: t("series_placed"), data: buckets.map((b) => b.placed), backgroundColor: COLOURS.placed, borderRadius: 3, maxBarThickness: 18 },
    { label: t("series_paid"), data: buckets.map((b) => b.paid), backgroundColor: COLOURS.paid, borderRadius: 3, maxBarThickness: 18 },
  ];
  charts.orders.update("none");

  const currencies = [...new Set(buckets.flatMap((b) => Object.keys(b.gmv ?? {})))].sort();
  // No money taken in these days: one flat zero line rather than an empty frame.
  const shown = currencies.length ? currencies : [null];
  charts.gmv.data.labels = labels;
  charts.gmv.data.datasets = shown.map((currency, index) => {
    const digits = currency ? currencyDigits(currency) : 0;
    const colour = COLOURS.gmv[index % COLOURS.gmv.length];
    return {
      label: currency ? `${t("gmv")} ${currency}` : t("gmv"),
      currency,
      data: buckets.map((b) => (currency ? (b.gmv?.[currency] ?? 0) / 10 ** digits : 0)),
      borderColor: colour,
      backgroundColor: `${colour}22`,
      fill: shown.length === 1,
      tension: 0, // straight segments: a curve would suggest money on the days around a peak
      pointRadius: 2,
      borderWidth: 2,
    };
  });
  charts.gmv.update("none");
  el("chart-orders").setAttribute("aria-label", t("chart_orders"));
  el("chart-gmv").setAttribute("aria-label", t("chart_gmv"));
}

// ---------------------------------------------------------------------------------------------
// Wiring.

// An answer still on its way for the old scope is dropped (generation) and the scope refetched.
function scopeChanged() {
  state.generation += 1;
  renderPeriodPicker();
  refresh();
}

function wire() {
  el("shop-picker").addEventListener("change", (event) => {
    state.shopId = event.target.value || null;
    scopeChanged();
  });
  el("period-picker").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-period]");
    if (!button) return;
    state.period = button.dataset.period;
    if (state.period === "range" && !state.rangeFrom) {
      state.rangeTo = serviceToday();
      state.rangeFrom = addDays(state.rangeTo, -6);
    }
    scopeChanged();
  });
  for (const id of ["range-from", "range-to"]) {
    el(id).addEventListener("change", () => {
      state.rangeFrom = el("range-from").value;
      state.rangeTo = el("range-to").value;
      scopeChanged();
    });
  }
  for (const button of document.querySelectorAll(".lang-toggle button")) {
    button.addEventListener("click", () => {
      state.lang = button.dataset.lang;
      storage.set(LANG_KEY, state.lang);
      render();
    });
  }
  el("sign-out").addEventListener("click", () => signOut());
  el("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = el("signin-token").value.trim();
    if (!token) return;
    storage.set(TOKEN_KEY, token);
    signIn(token);
  });
}

function start() {
  wire();
  // A link with a new token opened in the tab that already shows the page.
  window.addEventListener("hashchange", () => {
    const token = takeTokenFromFragment();
    if (token) signIn(token);
  });
  takeTokenFromFragment();
  render();
  const token = storage.get(TOKEN_KEY);
  if (token) signIn(token);
  else signOut();
}

start();
