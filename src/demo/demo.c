/*
 * The demo dataset generator. Every random choice comes from splitmix64 streams derived from
 * the seed (one stream per account, so the accounts do not depend on each other), and every
 * date from `today`, so the same seed and today always give the same content. (The store
 * stamps created_at/updated_at/recorded_at with the wall clock, and password hashes are
 * salted: those columns differ between runs.)
 *
 * Each account lives a simulated life over the 24 months up to today: an optional trial,
 * a first paid subscription, then month by month expansions (seats, plan upgrades),
 * contractions, renewals, churn and reactivation. Its phase follows from that life, and its
 * timeline tells the same story in Japanese (引き継ぎ, キックオフ, 定例, QBR, 解約 ...).
 * The first accounts follow fixed scripts so that every kind of MRR movement is present
 * whatever the seed.
 */
#include "demo/demo.h"
#include "demo/demo_success.h"
#include "demo/demo_usage.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/journey.h"
#include "util/crypto.h"
#include "util/util.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SUB_ENTRIES 64
#define MAX_CONTACTS 6
#define MAX_JR_STEPS 40
#define N_JR_MS 9

/* ------------------------------------------------------------ PRNG (splitmix64) */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return hi <= lo ? lo : lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability percent / 100. */
static bool rng_chance(struct rng *r, unsigned percent)
{
    return rng_below(r, 100) < percent;
}

#define PICK(r, a) ((a)[rng_below((r), N_OF(a))])

/* Fisher-Yates shuffle of 0..n-1 into v. */
static void rng_permutation(struct rng *r, size_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ------------------------------------------------------------ dates (days since 1970) */

/* An RFC 3339 time on day `days` during Japanese office hours (09:00-18:00 JST). */
static void office_time(struct rng *r, int64_t days, char out[static 21])
{
    int64_t minute = rng_range(r, 0, 35) * 15;  /* 00:00-08:45 UTC */
    time_format(days * 86400 + minute * 60, out);
}

/* ------------------------------------------------------------ vocabulary */

struct word {
    const char *ja;
    const char *romaji;
};

static const struct word ja_stems[] = {
    { "さくら", "sakura" },   { "青葉", "aoba" },       { "富士見", "fujimi" },
    { "光陽", "koyo" },       { "東洋", "toyo" },       { "北斗", "hokuto" },
    { "大和", "yamato" },     { "朝日", "asahi" },      { "飛鳥", "asuka" },
    { "みなと", "minato" },   { "若葉", "wakaba" },     { "紅葉", "momiji" },
    { "銀河", "ginga" },      { "つばさ", "tsubasa" },  { "暁", "akatsuki" },
    { "千歳", "chitose" },    { "葵", "aoi" },          { "白鷺", "shirasagi" },
    { "双葉", "futaba" },     { "日の出", "hinode" },   { "松風", "matsukaze" },
    { "清流", "seiryu" },     { "陽光", "yoko" },       { "大地", "daichi" },
    { "未来", "mirai" },      { "彩り", "irodori" },    { "和光", "wako" },
    { "三つ星", "mitsuboshi" }, { "桜丘", "sakuragaoka" }, { "山手", "yamate" },
    { "浜風", "hamakaze" },   { "藤波", "fujinami" },   { "星野", "hoshino" },
    { "雲雀", "hibari" },     { "四季", "shiki" },      { "瀬戸", "seto" },
    { "琥珀", "kohaku" },     { "翠", "midori" },       { "鳳", "otori" },
    { "凪", "nagi" },
};

struct suffix {
    const char *text;
    const char *slug;
    const char *industry;
};

static const struct suffix ja_suffixes[] = {
    { "テクノロジー", "technology", "SaaS" },   { "ソフト", "soft", "SaaS" },
    { "製作所", "seisakusho", "製造業" },       { "工業", "kogyo", "製造業" },
    { "物流", "logistics", "物流" },            { "運輸", "unyu", "物流" },
    { "商事", "shoji", "小売" },                { "リテール", "retail", "小売" },
    { "フィナンシャル", "financial", "金融" },  { "メディカル", "medical", "医療" },
    { "ケア", "care", "医療" },                 { "ラーニング", "learning", "教育" },
    { "エデュケーション", "education", "教育" }, { "不動産", "realestate", "不動産" },
    { "キャリア", "career", "人材" },
};

static const struct word en_stems[] = {
    { "Northwind", "northwind" }, { "Bluefin", "bluefin" },     { "Cedar", "cedar" },
    { "Summit", "summit" },       { "Harbor", "harbor" },       { "Pioneer", "pioneer" },
    { "Lumen", "lumen" },         { "Atlas", "atlas" },         { "Evergreen", "evergreen" },
    { "Crescent", "crescent" },   { "Redwood", "redwood" },     { "Silverline", "silverline" },
    { "Granite", "granite" },     { "Beacon", "beacon" },       { "Horizon", "horizon" },
    { "Maple", "maple" },         { "Orbit", "orbit" },         { "Quartz", "quartz" },
    { "Riverstone", "riverstone" }, { "Sparrow", "sparrow" },   { "Kestrel", "kestrel" },
    { "Meridian", "meridian" },   { "Tidewater", "tidewater" }, { "Ironbark", "ironbark" },
};

static const struct suffix en_suffixes[] = {
    { "Software", "software", "SaaS" },     { "Analytics", "analytics", "SaaS" },
    { "Robotics", "robotics", "製造業" },   { "Manufacturing", "mfg", "製造業" },
    { "Logistics", "logistics", "物流" },   { "Retail", "retail", "小売" },
    { "Capital", "capital", "金融" },       { "Health", "health", "医療" },
    { "Learning", "learning", "教育" },     { "Talent", "talent", "人材" },
};

struct place {
    const char *address;
    const char *region;
    const char *phone_area;
};

static const struct place places[] = {
    { "東京都千代田区丸の内", "関東", "03" },     { "東京都渋谷区道玄坂", "関東", "03" },
    { "東京都港区芝浦", "関東", "03" },           { "東京都品川区大崎", "関東", "03" },
    { "神奈川県横浜市西区みなとみらい", "関東", "045" }, { "埼玉県さいたま市大宮区桜木町", "関東", "048" },
    { "大阪府大阪市北区梅田", "関西", "06" },     { "京都府京都市下京区烏丸通", "関西", "075" },
    { "兵庫県神戸市中央区三宮町", "関西", "078" }, { "愛知県名古屋市中村区名駅", "中部", "052" },
    { "静岡県浜松市中区砂山町", "中部", "053" },   { "福岡県福岡市博多区博多駅前", "九州", "092" },
    { "北海道札幌市中央区北一条西", "北海道", "011" }, { "宮城県仙台市青葉区中央", "東北", "022" },
    { "広島県広島市中区紙屋町", "中国", "082" },
};

static const char *const purposes[] = {
    "営業活動の可視化と属人化の解消",
    "顧客対応の品質向上と対応時間の短縮",
    "社内ナレッジの共有と新人のオンボーディング期間短縮",
    "データに基づく意思決定の実現",
    "業務プロセスの標準化とペーパーレス化",
    "解約率の低減とLTVの向上",
    "在庫・配送状況のリアルタイム把握",
    "リモートワーク下でのコミュニケーション活性化",
    "顧客の利用状況を把握し、アップセルの機会を見つける",
};

static const char *const challenges[] = {
    "担当者ごとに管理方法がばらばらで、顧客情報が散在している",
    "Excelでの集計に毎月多くの工数がかかっている",
    "新入社員の立ち上がりに時間がかかる",
    "顧客の利用状況が把握できず、解約の兆候を見逃している",
    "部門間の連携不足で二重入力が発生している",
    "人手不足で既存業務の効率化が急務になっている",
    "経営層へのレポーティングに時間がかかる",
    "問い合わせ件数が増え、サポート体制が追いついていない",
};

static const char *const lead_sources[] = { "展示会", "Web問い合わせ", "パートナー紹介",
                                            "アウトバウンド", "ウェビナー" };

struct person {
    const char *ja;
    const char *romaji;
};

static const struct person ja_families[] = {
    { "山田", "yamada" },     { "伊藤", "ito" },       { "渡辺", "watanabe" },
    { "中村", "nakamura" },   { "小林", "kobayashi" }, { "加藤", "kato" },
    { "吉田", "yoshida" },    { "山本", "yamamoto" },  { "松本", "matsumoto" },
    { "井上", "inoue" },      { "木村", "kimura" },    { "林", "hayashi" },
    { "清水", "shimizu" },    { "山口", "yamaguchi" }, { "森", "mori" },
    { "池田", "ikeda" },      { "橋本", "hashimoto" }, { "石川", "ishikawa" },
    { "前田", "maeda" },      { "藤田", "fujita" },
};

static const struct person ja_givens[] = {
    { "翔太", "shota" },   { "大輔", "daisuke" }, { "拓也", "takuya" }, { "直樹", "naoki" },
    { "健一", "kenichi" }, { "由美", "yumi" },    { "恵", "megumi" },   { "彩", "aya" },
    { "真由美", "mayumi" }, { "優子", "yuko" },   { "亮", "ryo" },      { "聡", "satoshi" },
    { "智子", "tomoko" },  { "麻衣", "mai" },     { "隆", "takashi" },  { "愛", "ai" },
};

static const char *const en_families[] = { "Smith", "Johnson", "Brown", "Miller", "Davis",
                                           "Wilson", "Taylor", "Clark", "Lewis", "Walker",
                                           "Young", "Allen" };
static const char *const en_givens[] = { "Emily", "James", "Olivia", "Michael", "Sophia",
                                         "Daniel", "Emma", "David", "Grace", "Ryan", "Chloe",
                                         "Ethan" };

struct titles {
    const char *role;
    const char *ja[3];
    const char *en[3];
};

static const struct titles role_titles[] = {
    { "decision_maker", { "代表取締役社長", "営業本部長", "経営企画部長" },
      { "CEO", "VP of Operations", "Head of Sales" } },
    { "champion", { "DX推進室 マネージャー", "営業企画課長", "カスタマーサポート部 リーダー" },
      { "Operations Manager", "Sales Ops Lead", "Support Team Lead" } },
    { "admin", { "情報システム部", "総務部 システム管理者", "業務改革室" },
      { "IT Administrator", "Systems Engineer", "RevOps Specialist" } },
    { "user", { "営業部", "カスタマーサポート部", "マーケティング部" },
      { "Account Executive", "Support Specialist", "Marketing Analyst" } },
};

/* Timeline summaries for the entries that are not tied to a subscription event. */
static const char *const notes[] = {
    "ヘルススコアが低下傾向。ログイン数が先月比で減少している",
    "利用者浸透のため、社内勉強会の開催を提案予定",
    "決裁者が来期に異動予定との情報あり。後任との関係構築が必要",
    "活用度が高く、他部署への展開余地あり（アップセル候補）",
    "管理者が初期設定を完了。基礎理解のフェーズへ",
};
static const char *const meetings[] = {
    "定例ミーティング：活用状況の振り返りと次期目標の設定",
    "QBR（四半期ビジネスレビュー）を実施し、成果を共有",
    "操作トレーニング（管理者向け）を実施",
    "サクセスプランの見直し：KPIと目標値を再設定",
};
static const char *const calls[] = {
    "チャンピオンと電話：新機能の活用方法について相談",
    "利用状況が落ちている理由をヒアリング",
    "管理者から権限設定について相談を受け、その場で解決",
};
static const char *const emails[] = {
    "活用事例のご紹介メールを送付",
    "NPSアンケートへのご協力をお願い",
    "新機能リリースのお知らせを送付",
    "ウェビナーのご案内を送付",
};
static const char *const tickets[] = {
    "ログインできないとの問い合わせ（解決済み）",
    "CSVインポートでエラーが発生（設定を案内して解決）",
    "権限設定に関する質問",
    "請求書の再発行依頼",
    "データ連携の不具合報告（開発チームへエスカレーション）",
};
static const char *const churn_reasons[] = { "予算削減", "社内体制の変更",
                                             "他社サービスへの乗り換え",
                                             "活用が定着しなかった" };

struct task_kind {
    const char *type;
    const char *title;
};

static const struct task_kind task_kinds[] = {
    { "call", "チャンピオンへ活用状況のヒアリング電話" },
    { "call", "ヘルススコア低下の原因をヒアリング" },
    { "meeting", "定例ミーティングの実施" },
    { "meeting", "QBR（四半期ビジネスレビュー）の実施" },
    { "meeting", "操作トレーニングの実施" },
    { "email", "活用事例のご紹介メールを送付" },
    { "email", "NPSアンケート回答へのフォローアップ" },
    { "email", "オンボーディング資料の送付" },
    { "review", "サクセスプランの目標達成度を確認" },
    { "review", "利用者浸透状況のレビュー" },
    { "other", "社内勉強会の資料作成" },
    { "other", "決裁者との関係構築プランを作成" },
};

/* ------------------------------------------------------------ plans and subscriptions */

struct plan {
    const char *name;
    int64_t jpy;   /* per seat per month, yen */
    int64_t usd;   /* per seat per month, cents */
};

static const struct plan plans[] = {
    { "Starter", 3000, 2500 },
    { "Standard", 6000, 5000 },
    { "Enterprise", 12000, 10000 },
};

enum move { MV_TRIAL, MV_NEW, MV_EXPAND, MV_UPGRADE, MV_CONTRACT, MV_DOWNGRADE, MV_RENEW,
            MV_CHURN, MV_REACTIVATE, MV_TRIAL_LOST };

struct sub_entry {
    enum move move;
    int64_t day;          /* effective */
    int plan;             /* -1 = trial */
    int64_t seats;
    int64_t prev_seats;
    int64_t mrr;
    const char *status;
    int64_t start;
    int64_t renewal;      /* -1 = none */
    bool auto_renew;
};

/* A scripted life for the first accounts, so that every kind of movement exists whatever
 * the seed: the month (counted from the first paid start) of each forced move; 0 = none. */
struct script {
    bool trial;
    bool monthly;
    int expand, upgrade, contract, downgrade, churn, reactivate;
};

static const struct script scripts[] = {
    { .trial = true, .expand = 2, .upgrade = 5 },
    { .contract = 3, .expand = 8 },
    { .churn = 4, .reactivate = 7 },
    { .monthly = true, .churn = 6 },
    { .downgrade = 4, .expand = 9 },
};

/* One generated account, before it is written. */
struct demo_account {
    bool english;
    char *name;
    char *domain;
    char *external_id;
    const char *industry;
    int64_t employees;
    const struct place *place;
    char *address;
    const char *purpose;
    const char *challenge;
    int64_t owner_id;
    bool monthly;
    const char *currency;
    struct sub_entry subs[MAX_SUB_ENTRIES];
    size_t nsubs;
    const char *phase;
    int64_t first_day;
    int64_t end_day;       /* the last day of its active life: a churn, or today */
    /* its success journey (plan_journey): phase steps and completed milestones */
    struct jr_step { int phase; int64_t day; const char *moved_by; } steps[MAX_JR_STEPS];
    size_t nsteps;
    struct jr_done { int ms; int64_t day; } done[N_JR_MS];
    size_t ndone;
};

struct demo {
    struct store *st;
    uint64_t seed;
    int64_t today;
    int64_t window_start;
    int64_t csm[3];
    int64_t viewer;
    size_t nusers, naccounts, nsubs, ncontacts, nentries, ntasks;
    struct demo_usage_stats usage;
    long ext_user;         /* counter for contacts' external_user_id */
};

static void account_free_demo(struct demo_account *a)
{
    free(a->name);
    free(a->domain);
    free(a->external_id);
    free(a->address);
}

static int64_t seat_price(const struct demo_account *a, int plan)
{
    return strcmp(a->currency, "USD") == 0 ? plans[plan].usd : plans[plan].jpy;
}

static void sub_push(struct demo_account *a, const struct sub_entry *e)
{
    if (a->nsubs < MAX_SUB_ENTRIES)
        a->subs[a->nsubs++] = *e;
}

/* ------------------------------------------------------------ simulation */

/* The move of month `step` (day `day`) for an active subscription; -1 for none. */
static int active_move(struct rng *r, const struct demo_account *a, const struct script *sc,
                       const struct sub_entry *cur, int step, int64_t anniv)
{
    if (sc) {
        if (step == sc->expand)
            return MV_EXPAND;
        if (step == sc->upgrade)
            return MV_UPGRADE;
        if (step == sc->contract)
            return MV_CONTRACT;
        if (step == sc->downgrade)
            return MV_DOWNGRADE;
        if (step == sc->churn)
            return MV_CHURN;
    }
    if (!a->monthly && cur->renewal >= 0 && anniv >= cur->renewal)
        return !sc && rng_chance(r, cur->auto_renew ? 8 : 30) ? MV_CHURN : MV_RENEW;
    if (sc)
        return -1;
    if (a->monthly && rng_chance(r, 2))
        return MV_CHURN;
    if (rng_chance(r, 6))
        return cur->plan < 2 && rng_chance(r, 30) ? MV_UPGRADE : MV_EXPAND;
    if (rng_chance(r, 3))
        return cur->plan > 0 && rng_chance(r, 25) ? MV_DOWNGRADE : MV_CONTRACT;
    return -1;
}

/* Lives the account's subscription from its first day to today into a->subs, and sets its
 * phase and end_day. */
static void simulate(struct rng *r, struct demo_account *a, const struct script *sc,
                     int64_t window_start, int64_t today)
{
    struct sub_entry cur;
    memset(&cur, 0, sizeof(cur));
    int64_t span = today - 7 - window_start;
    /* A third are the installed base at the start of the window; the rest sign up since. */
    int64_t first = window_start + (sc || rng_chance(r, 30) ? rng_range(r, 0, 60)
                                                            : (int64_t)rng_below(r, (uint64_t)span));
    int64_t paid = first;
    a->first_day = first;
    a->end_day = today;

    if (sc ? sc->trial : rng_chance(r, 25)) {
        cur = (struct sub_entry){ .move = MV_TRIAL, .day = first, .plan = -1,
                                  .seats = rng_range(r, 5, 20), .status = "trial",
                                  .start = first, .renewal = first + 30 };
        sub_push(a, &cur);
        paid = first + rng_range(r, 14, 30);
        if (paid > today) {
            a->phase = "onboarding";
            return;
        }
        if (!sc && rng_chance(r, 15)) {
            cur.move = MV_TRIAL_LOST;
            cur.day = paid;
            cur.status = "churned";
            cur.prev_seats = cur.seats;
            cur.seats = 0;
            cur.renewal = -1;
            sub_push(a, &cur);
            a->phase = "churned";
            a->end_day = paid;
            return;
        }
    }

    int plan = a->employees < 100 ? 0 : a->employees < 1000 ? 1 : 2;
    if (rng_chance(r, 25))
        plan = plan == 2 ? 1 : plan + 1;
    int64_t seats = a->employees * rng_range(r, 5, 30) / 100;
    seats = seats < 3 ? 3 : seats > 800 ? 800 : seats;
    cur = (struct sub_entry){ .move = MV_NEW, .day = paid, .plan = plan, .seats = seats,
                              .mrr = seats * seat_price(a, plan), .status = "active",
                              .start = paid, .renewal = a->monthly ? -1 : date_add_months(paid, 12),
                              .auto_renew = sc || rng_chance(r, 85) };
    sub_push(a, &cur);

    int64_t base = paid, paid_seats = seats;
    int m = 0, step = 0, churned_months = 0;
    bool expanded = false;
    for (;;) {
        m++, step++;
        int64_t anniv = date_add_months(base, m);
        if (anniv > today)
            break;
        int64_t day = anniv + (sc ? 0 : rng_range(r, 0, 9));
        if (day > today)
            day = today;
        int mv = -1;
        if (strcmp(cur.status, "active") == 0) {
            mv = active_move(r, a, sc, &cur, step, anniv);
        } else {
            churned_months++;
            if (sc ? step == sc->reactivate : churned_months >= 2 && rng_chance(r, 6))
                mv = MV_REACTIVATE;
        }
        if (mv < 0)
            continue;
        cur.prev_seats = cur.seats;
        switch (mv) {
        case MV_UPGRADE:
            if (cur.plan < 2) {
                cur.plan++;
                expanded = true;
                break;
            }
            mv = MV_EXPAND;
            /* fall through */
        case MV_EXPAND: {
            int64_t add = cur.seats * rng_range(r, 10, 50) / 100;
            cur.seats += add < 1 ? 1 : add;
            if (cur.seats > a->employees && a->employees > cur.prev_seats)
                cur.seats = a->employees;  /* no more seats than people */
            expanded = true;
            break;
        }
        case MV_DOWNGRADE:
            if (cur.plan > 0) {
                cur.plan--;
                break;
            }
            mv = MV_CONTRACT;
            /* fall through */
        case MV_CONTRACT: {
            int64_t cut = cur.seats * rng_range(r, 10, 30) / 100;
            if (cur.seats <= 2)
                continue;
            cur.seats -= cut < 1 ? 1 : cut;
            break;
        }
        case MV_RENEW:
            day = cur.renewal;
            cur.renewal = date_add_months(cur.renewal, 12);
            break;
        case MV_CHURN:
            if (!a->monthly && cur.renewal >= 0 && anniv >= cur.renewal)
                day = cur.renewal;
            paid_seats = cur.seats;
            cur.seats = 0;
            cur.status = "churned";
            cur.renewal = -1;
            cur.auto_renew = false;
            churned_months = 0;
            break;
        case MV_REACTIVATE: {
            cur.plan = cur.plan > 0 && rng_chance(r, 50) ? cur.plan - 1 : cur.plan;
            int64_t back = paid_seats * rng_range(r, 50, 100) / 100;
            cur.seats = back < 3 ? 3 : back;
            cur.status = "active";
            cur.start = day;
            cur.renewal = a->monthly ? -1 : date_add_months(day, 12);
            cur.auto_renew = true;
            base = day;
            m = 0;
            expanded = false;
            break;
        }
        default:
            break;
        }
        cur.move = (enum move)mv;
        cur.day = day;
        cur.mrr = strcmp(cur.status, "active") == 0 ? cur.seats * seat_price(a, cur.plan) : 0;
        sub_push(a, &cur);
    }

    if (strcmp(cur.status, "churned") == 0) {
        a->phase = "churned";
        a->end_day = cur.day;
        return;
    }
    int64_t months = (today - cur.start) / 30;
    if (months < 3)
        a->phase = "onboarding";
    else if (months >= 12 || (expanded && months >= 6))
        a->phase = "expansion";
    else
        a->phase = "adoption";
}

/* ------------------------------------------------------------ the success journey */

/* The default lifecycle (journey/lifecycle.c) that a fresh demo database uses: phases 0..3 and
 * its nine milestones in order, three per phase. */
static const char *const jr_phases[] = { "onboarding", "adoption", "expansion", "churned" };
static const struct {
    const char *key;
    bool criterion;
    bool required;
    double lo, hi;         /* when in the phase it is done, as a share of the phase's length */
} jr_ms[N_JR_MS] = {
    { "initial_setup", true, true, 0.10, 0.35 },
    { "basic_understanding", false, true, 0.40, 0.75 },
    { "hands_on_mastery", true, true, 1.0, 1.0 },
    { "habitual_use", true, true, 0.25, 0.60 },
    { "proficiency", false, false, 0.50, 0.95 },
    { "user_spread", true, true, 1.0, 1.0 },
    { "value_realised", false, true, 0, 0 },
    { "renewal", true, true, 0, 0 },
    { "expansion", true, false, 0, 0 },
};

static void jr_step(struct demo_account *a, int phase, int64_t day, const char *by)
{
    if (a->nsteps < MAX_JR_STEPS)
        a->steps[a->nsteps++] = (struct jr_step){ phase, day, by };
}

static void jr_complete(struct demo_account *a, int ms, int64_t day)
{
    for (size_t i = 0; i < a->ndone; i++)
        if (a->done[i].ms == ms)
            return;
    if (a->ndone < N_JR_MS)
        a->done[a->ndone++] = (struct jr_done){ ms, day };
}

/* The milestones of phase p (0 or 1) entered on `entered` for `len` days that are done by
 * `until` (the day it left the phase, or today). The last required one falls on the last
 * day, so an account still in the phase never has them all. */
static void jr_phase_milestones(struct rng *r, struct demo_account *a, int p, int64_t entered,
                                int64_t len, int64_t until)
{
    for (int m = p * 3; m < p * 3 + 3; m++) {
        if (!jr_ms[m].required && rng_chance(r, 40))
            continue;
        double f = jr_ms[m].lo + (jr_ms[m].hi - jr_ms[m].lo) * (double)rng_below(r, 1000) / 1000.0;
        int64_t day = entered + (int64_t)((double)len * f);
        if (day <= until)
            jr_complete(a, m, day);
    }
}

/*
 * Lives the account's journey alongside its subscription (simulate() ran): onboarding from
 * its first day for 35-100 days (one in five is slow: 181-270 days, over twice the expected
 * 90), adoption for 120-300 days, then expansion; a churn moves it to churned and a
 * reactivation back to the phase it was in, where its clock starts again. Milestones are done
 * along the way; renewal and expansion when the subscription renewed or grew; value realised
 * 20-150 days into expansion. Sets a->phase. Uses its own stream r.
 */
static void plan_journey(struct rng *r, struct demo_account *a, int64_t today)
{
    int cur = 0, before = 0;
    int64_t entered = a->first_day;
    int64_t len[2] = { rng_chance(r, 20) ? rng_range(r, 181, 270) : rng_range(r, 35, 100),
                       rng_range(r, 120, 300) };
    int64_t value_after = rng_range(r, 20, 150);
    size_t k = 1;
    jr_step(a, 0, entered, "initial");
    for (;;) {
        int64_t ev = -1;
        bool ev_churn = false;
        for (; k < a->nsubs; k++) {
            bool now = strcmp(a->subs[k].status, "churned") == 0;
            if (now != (strcmp(a->subs[k - 1].status, "churned") == 0)) {
                ev = a->subs[k].day;
                ev_churn = now;
                break;
            }
        }
        int64_t planned = cur < 2 ? entered + len[cur] : -1;
        if (cur < 2 && planned <= today && (ev < 0 || planned < ev)) {
            jr_phase_milestones(r, a, cur, entered, len[cur], planned);
            cur++;
            entered = planned;
            jr_step(a, cur, planned, "milestones");
            continue;
        }
        if (ev >= 0 && ev <= today) {
            if (ev_churn && cur != 3) {
                if (cur < 2)
                    jr_phase_milestones(r, a, cur, entered, len[cur], ev);
                else if (entered + value_after <= ev)
                    jr_complete(a, 6, entered + value_after);
                before = cur;
                cur = 3;
                jr_step(a, 3, ev, "churn");
            } else if (!ev_churn && cur == 3) {
                cur = before;
                entered = ev;
                jr_step(a, cur, ev, "reactivation");
            }
            k++;
            continue;
        }
        break;
    }
    if (cur < 2)
        jr_phase_milestones(r, a, cur, entered, len[cur], today);
    else if (cur == 2 && entered + value_after <= today)
        jr_complete(a, 6, entered + value_after);
    for (size_t i = 1; i < a->nsubs; i++) {
        if (a->subs[i].day > today)
            break;
        if (a->subs[i].move == MV_RENEW)
            jr_complete(a, 7, a->subs[i].day);
        if (a->subs[i].move == MV_EXPAND || a->subs[i].move == MV_UPGRADE)
            jr_complete(a, 8, a->subs[i].day);
    }
    a->phase = jr_phases[cur];
}

/* ------------------------------------------------------------ generating an account */

/* Builds account number i (names come from the shuffled ja/en index lists). */
static void make_account(struct demo *d, struct rng *r, size_t i, size_t ja_pick,
                         size_t en_pick, bool english, struct demo_account *a)
{
    const struct script *sc = i < N_OF(scripts) ? &scripts[i] : NULL;
    memset(a, 0, sizeof(*a));
    a->english = english;
    if (english) {
        const struct word *w = &en_stems[en_pick / N_OF(en_suffixes)];
        const struct suffix *x = &en_suffixes[en_pick % N_OF(en_suffixes)];
        a->name = xasprintf("%s %s Inc.", w->ja, x->text);
        a->domain = xasprintf("%s-%s.com", w->romaji, x->slug);
        a->industry = x->industry;
        a->currency = rng_chance(r, 70) ? "USD" : "JPY";
    } else {
        const struct word *w = &ja_stems[ja_pick / N_OF(ja_suffixes)];
        const struct suffix *x = &ja_suffixes[ja_pick % N_OF(ja_suffixes)];
        if (rng_chance(r, 60))
            a->name = xasprintf("株式会社%s%s", w->ja, x->text);
        else
            a->name = xasprintf("%s%s株式会社", w->ja, x->text);
        a->domain = xasprintf("%s-%s.co.jp", w->romaji, x->slug);
        a->industry = x->industry;
        a->currency = rng_chance(r, 95) ? "JPY" : "USD";
    }
    if (sc || rng_chance(r, 95))
        a->external_id = xasprintf("CRM-%05zu", i + 1);
    unsigned bucket = (unsigned)rng_below(r, 10);
    a->employees = bucket < 4 ? rng_range(r, 10, 99) : bucket < 8 ? rng_range(r, 100, 999)
                                                                   : rng_range(r, 1000, 5000);
    a->place = &PICK(r, places);
    a->address = xasprintf("%s%d-%d-%d", a->place->address, (int)rng_range(r, 1, 5),
                           (int)rng_range(r, 1, 20), (int)rng_range(r, 1, 15));
    a->purpose = PICK(r, purposes);
    a->challenge = PICK(r, challenges);
    unsigned o = (unsigned)rng_below(r, 100);
    a->owner_id = o < 33 ? d->csm[0] : o < 66 ? d->csm[1] : o < 90 ? d->csm[2] : 0;
    if (sc)
        a->owner_id = d->csm[i % 3];
    a->monthly = sc ? sc->monthly : rng_chance(r, 30);
    simulate(r, a, sc, d->window_start, d->today);
    struct rng jr = { r->s ^ 0x6a6f75726e6579ULL };   /* "journey": its own stream */
    plan_journey(&jr, a, d->today);
}

static char *custom_json(struct rng *r, const struct demo_account *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "region", a->place->region, "contract_type",
                          a->monthly ? "月額契約" : "年間契約", "lead_source",
                          PICK(r, lead_sources));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    char *out = xstrdup(text);
    free(text);
    return out;
}

static void fmt_day(int64_t day, char out[static 11])
{
    date_from_days(day, out);
}

static int write_subscriptions(struct demo *d, const struct demo_account *a, int64_t id)
{
    int rc = KZ_OK;
    for (size_t i = 0; i < a->nsubs && rc == KZ_OK; i++) {
        const struct sub_entry *e = &a->subs[i];
        struct subscription s;
        char renewal[11];
        memset(&s, 0, sizeof(s));
        s.account_id = id;
        s.plan = (char *)(e->plan < 0 ? "Trial" : plans[e->plan].name);
        s.mrr = e->mrr;
        snprintf(s.currency, sizeof(s.currency), "%s", a->currency);
        s.seats = e->seats;
        fmt_day(e->start, s.start_date);
        if (e->renewal >= 0) {
            fmt_day(e->renewal, renewal);
            s.renewal_date = renewal;
        }
        s.auto_renew = e->auto_renew;
        snprintf(s.status, sizeof(s.status), "%s", e->status);
        fmt_day(e->day, s.effective_date);
        rc = store_subscription_put(d->st, &s);   /* s's strings are not owned: no cleanup */
        d->nsubs++;
    }
    return rc;
}

/* Creates the contacts; ids[0] is the decision maker, ids[1] the champion. */
static int write_contacts(struct demo *d, struct rng *r, const struct demo_account *a,
                          int64_t id, size_t index, int64_t *ids, size_t *n)
{
    const char *roles[MAX_CONTACTS];
    size_t cnt = 0;
    int rc = KZ_OK;
    roles[cnt++] = "decision_maker";
    roles[cnt++] = "champion";
    if (index < 10 || rng_chance(r, 70))
        roles[cnt++] = "admin";
    for (int64_t k = rng_range(r, index < 10 ? 1 : 0, 2); k > 0; k--)
        roles[cnt++] = "user";

    size_t fam[N_OF(ja_families)];
    rng_permutation(r, fam, a->english ? N_OF(en_families) : N_OF(ja_families));
    *n = 0;
    for (size_t i = 0; i < cnt && rc == KZ_OK; i++) {
        const struct titles *t = &role_titles[0];
        for (size_t k = 0; k < N_OF(role_titles); k++)
            if (strcmp(role_titles[k].role, roles[i]) == 0)
                t = &role_titles[k];
        struct contact c;
        memset(&c, 0, sizeof(c));
        c.account_id = id;
        c.role = xstrdup(roles[i]);
        if (a->english) {
            const char *given = PICK(r, en_givens), *family = en_families[fam[i]];
            c.name = xasprintf("%s %s", given, family);
            c.email = xasprintf("%c.%s@%s", given[0] + 32, family, a->domain);
            for (char *p = c.email; *p && *p != '@'; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
            c.title = xstrdup(t->en[rng_below(r, 3)]);
        } else {
            const struct person *g = &PICK(r, ja_givens), *f = &ja_families[fam[i]];
            c.name = xasprintf("%s %s", f->ja, g->ja);
            c.email = xasprintf("%c.%s@%s", g->romaji[0], f->romaji, a->domain);
            c.title = xstrdup(t->ja[rng_below(r, 3)]);
        }
        c.phone = xasprintf("%s-%04d-%04d", a->place->phone_area, (int)rng_range(r, 1000, 9999),
                            (int)rng_range(r, 0, 9999));
        if (strcmp(roles[i], "admin") == 0 || strcmp(roles[i], "user") == 0)
            c.external_user_id = xasprintf("usr_%06ld", ++d->ext_user);
        rc = store_contact_create(d->st, &c);
        if (rc == KZ_OK) {
            ids[(*n)++] = c.id;
            d->ncontacts++;
        }
        contact_cleanup(&c);
    }
    return rc;
}

static int add_entry(struct demo *d, struct rng *r, int64_t account_id, int64_t author,
                     const char *type, int64_t day, const char *summary, const char *body,
                     const int64_t *contacts, size_t ncontacts)
{
    struct timeline_entry e;
    memset(&e, 0, sizeof(e));
    e.account_id = account_id;
    e.type = (char *)type;
    e.author_id = author;
    office_time(r, day, e.occurred_at);
    e.summary = (char *)summary;
    e.body = (char *)body;
    e.contact_ids = (int64_t *)contacts;
    e.ncontacts = ncontacts;
    int rc = store_timeline_create(d->st, &e);   /* e's pointers are borrowed: no cleanup */
    if (rc == KZ_OK)
        d->nentries++;
    return rc;
}

/* Whether the account has a live (trial or active) subscription on day. */
static bool customer_on(const struct demo_account *a, int64_t day)
{
    bool live = false;
    for (size_t i = 0; i < a->nsubs && a->subs[i].day <= day; i++)
        live = strcmp(a->subs[i].status, "churned") != 0;
    return live;
}

static int write_timeline(struct demo *d, struct rng *r, const struct demo_account *a,
                          int64_t id, const int64_t *contacts, size_t ncontacts)
{
    int64_t author = a->owner_id ? a->owner_id : d->csm[rng_below(r, 3)];
    int64_t pair[2] = { contacts[0], contacts[1] };
    char *summary = NULL, *body = NULL;
    int rc = KZ_OK;
    (void)ncontacts;

    for (size_t i = 0; i < a->nsubs && rc == KZ_OK; i++) {
        const struct sub_entry *e = &a->subs[i];
        const char *plan = e->plan < 0 ? "Trial" : plans[e->plan].name;
        const char *type = "note";
        const int64_t *with = NULL;
        size_t nwith = 0;
        char date[11];
        switch (e->move) {
        case MV_TRIAL:
            type = "email";
            summary = xasprintf("トライアル開始のご案内を送付（%lld名で評価）", (long long)e->seats);
            break;
        case MV_NEW:
            type = "handoff";
            summary = xstrdup("営業からCSへ引き継ぎ：導入目的・決裁者・契約内容を確認");
            body = xasprintf("導入目的: %s\n事業課題: %s\n契約: %sプラン %lld席", a->purpose,
                             a->challenge, plan, (long long)e->seats);
            break;
        case MV_EXPAND:
            type = "meeting";
            summary = xasprintf("ライセンス追加で合意（%lld席 → %lld席）", (long long)e->prev_seats,
                                (long long)e->seats);
            with = pair, nwith = 2;
            break;
        case MV_UPGRADE:
            type = "meeting";
            summary = xasprintf("%sプランへのアップグレードが決定", plan);
            with = pair, nwith = 1;
            break;
        case MV_CONTRACT:
            type = "call";
            summary = xasprintf("利用部門の縮小に伴い席数を削減（%lld席 → %lld席）",
                                (long long)e->prev_seats, (long long)e->seats);
            with = pair + 1, nwith = 1;
            break;
        case MV_DOWNGRADE:
            type = "call";
            summary = xasprintf("%sプランへのダウングレードの申し出", plan);
            with = pair, nwith = 1;
            break;
        case MV_RENEW:
            type = "email";
            fmt_day(e->renewal, date);
            summary = xasprintf("契約更新の手続きが完了（次回更新日: %s）", date);
            break;
        case MV_CHURN:
            summary = xasprintf("解約の連絡を受領（理由：%s）", PICK(r, churn_reasons));
            body = xstrdup("決裁者より解約の意向を受領。失注理由を記録し、再提案の時期を検討する。");
            break;
        case MV_REACTIVATE:
            type = "meeting";
            summary = xstrdup("再契約のお打ち合わせ：前回の課題を踏まえた活用計画を合意");
            with = pair, nwith = 2;
            break;
        case MV_TRIAL_LOST:
            summary = xasprintf("トライアル終了、本契約には至らず（理由：%s）",
                                PICK(r, churn_reasons));
            break;
        }
        rc = add_entry(d, r, id, author, type, e->day, summary, body, with, nwith);
        free(summary), free(body);
        summary = body = NULL;
        if (rc == KZ_OK && e->move == MV_NEW && e->day + 7 <= d->today)
            rc = add_entry(d, r, id, author, "meeting", e->day + rng_range(r, 3, 7),
                           "キックオフミーティングを実施し、導入目的とゴールの認識を合わせた",
                           "初期設定・基礎理解・操作習得のマイルストーンと日程を合意。", pair, 2);
    }

    /* Everyday work while the account is a customer (not between a churn and a return). */
    int64_t extra = rng_range(r, 2, 6);
    for (int64_t k = 0; k < extra && rc == KZ_OK; k++) {
        int64_t day = rng_range(r, a->first_day, a->end_day);
        if (!customer_on(a, day))
            continue;
        unsigned t = (unsigned)rng_below(r, 5);
        if (t == 0)
            rc = add_entry(d, r, id, author, "note", day, PICK(r, notes), NULL, NULL, 0);
        else if (t == 1)
            rc = add_entry(d, r, id, author, "meeting", day, PICK(r, meetings), NULL, pair, 2);
        else if (t == 2)
            rc = add_entry(d, r, id, author, "call", day, PICK(r, calls), NULL, pair + 1, 1);
        else if (t == 3)
            rc = add_entry(d, r, id, author, "email", day, PICK(r, emails), NULL, NULL, 0);
        else
            rc = add_entry(d, r, id, rng_chance(r, 50) ? author : 0, "ticket", day,
                           PICK(r, tickets), NULL, NULL, 0);
    }
    return rc;
}

static int add_task(struct demo *d, struct rng *r, const struct demo_account *a, int64_t id,
                    const char *type, const char *title, int64_t due)
{
    struct task t;
    char completed[21];
    memset(&t, 0, sizeof(t));
    t.account_id = id;
    t.title = (char *)title;
    t.assignee_id = a->owner_id;
    char due_s[11];
    fmt_day(due, due_s);
    t.due_date = due_s;
    t.type = (char *)type;
    unsigned p = (unsigned)rng_below(r, 100);
    if (due < d->today)
        t.status = (char *)(p < 55 ? "done" : p < 90 ? "open" : "cancelled");
    else
        t.status = (char *)(p < 85 ? "open" : "done");
    if (strcmp(t.status, "done") == 0) {
        int64_t day = due < d->today ? due - rng_range(r, 0, 3) : d->today - rng_range(r, 0, 3);
        office_time(r, day, completed);
        t.completed_at = completed;
    }
    t.source = (char *)"manual";
    t.created_by = a->owner_id ? a->owner_id : d->csm[0];
    int rc = store_task_create(d->st, &t);   /* t's pointers are borrowed: no cleanup */
    if (rc == KZ_OK)
        d->ntasks++;
    return rc;
}

static int write_tasks(struct demo *d, struct rng *r, const struct demo_account *a, int64_t id)
{
    int rc = KZ_OK;
    const struct sub_entry *last = &a->subs[a->nsubs - 1];
    bool churned = strcmp(last->status, "churned") == 0;
    int64_t n = churned ? rng_range(r, 0, 1) : rng_range(r, 1, 3);
    static const struct task_kind after_churn[] = {
        { "call", "解約理由のヒアリングと記録" },
        { "review", "再提案の時期と条件を検討" },
    };
    for (int64_t k = 0; k < n && rc == KZ_OK; k++) {
        const struct task_kind *t = churned ? &PICK(r, after_churn) : &PICK(r, task_kinds);
        int64_t due = churned ? a->end_day + rng_range(r, 1, 14) : d->today + rng_range(r, -21, 30);
        rc = add_task(d, r, a, id, t->type, t->title, due);
    }
    if (rc == KZ_OK && !churned && last->renewal >= 0 && last->renewal - d->today <= 90) {
        char date[11], *title;
        fmt_day(last->renewal, date);
        title = xasprintf("契約更新の事前確認（更新日: %s）", date);
        int64_t due = last->renewal - 30 > d->today - 10 ? last->renewal - 30 : d->today + 3;
        rc = add_task(d, r, a, id, "review", title, due);
        free(title);
    }
    return rc;
}

/* Seats of the subscription on day (the last entry on or before it with seats). */
static int64_t seats_on(const struct demo_account *a, int64_t day)
{
    int64_t seats = 0;
    for (size_t i = 0; i < a->nsubs && a->subs[i].day <= day; i++)
        if (a->subs[i].seats > 0)
            seats = a->subs[i].seats;
    return seats;
}

/* Writes the planned journey: phase history, milestone states, the value time. */
static int write_journey(struct demo *d, struct rng *r, const struct demo_account *a, int64_t id)
{
    struct phase_row rows[MAX_JR_STEPS];
    char times[MAX_JR_STEPS][21];
    int64_t user = a->owner_id ? a->owner_id : d->csm[0];
    memset(rows, 0, sizeof(rows));
    for (size_t i = 0; i < a->nsteps; i++) {
        /* 09:00 UTC, a minute apart when several moves fall on one day. */
        time_format(a->steps[i].day * 86400 + 9 * 3600 + (int64_t)i * 60, times[i]);
        rows[i].phase = (char *)jr_phases[a->steps[i].phase];
        memcpy(rows[i].entered_at, times[i], 21);
        snprintf(rows[i].moved_by, sizeof(rows[i].moved_by), "%s", a->steps[i].moved_by);
        if (i > 0)
            rows[i - 1].left_at = times[i];
        if (strcmp(a->steps[i].moved_by, "churn") == 0)
            rows[i].reason = (char *)"subscription churned";
        else if (strcmp(a->steps[i].moved_by, "reactivation") == 0)
            rows[i].reason = (char *)"subscription reactivated";
        else if (strcmp(a->steps[i].moved_by, "milestones") == 0)
            rows[i].reason = (char *)"every required milestone complete";
    }
    int rc = store_phase_history_replace(d->st, id, rows, a->nsteps);
    for (size_t i = 0; i < a->ndone && rc == KZ_OK; i++) {
        int m = a->done[i].ms;
        int64_t day = a->done[i].day;
        char at[21], detail[200], date[11];
        office_time(r, day, at);
        int64_t seats = seats_on(a, day);
        switch (m) {
        case 0: snprintf(detail, sizeof(detail), "Setup Completed seen 1 time (at least 1)"); break;
        case 1: snprintf(detail, sizeof(detail), "基礎トレーニング（管理者・利用者向け）を実施"); break;
        case 2: {
            int64_t t = (seats * 3 + 9) / 10;
            t = t < 1 ? 1 : t;
            snprintf(detail, sizeof(detail), "%lld active users in 30 days (at least %lld: 30%% "
                     "of %lld seats)", (long long)(t + rng_range(r, 0, 2)), (long long)t,
                     (long long)seats);
            break;
        }
        case 3:
            snprintf(detail, sizeof(detail), "Signed In seen %lld times in the last 30 days "
                     "(at least 20)", (long long)rng_range(r, 20, 90));
            break;
        case 4: snprintf(detail, sizeof(detail), "応用機能（レポート・自動化）の活用を定例で確認"); break;
        case 5: {
            int64_t t = (seats + 1) / 2;
            t = t < 1 ? 1 : t;
            snprintf(detail, sizeof(detail), "%lld active users in 30 days (at least %lld: 50%% "
                     "of %lld seats)", (long long)(t + rng_range(r, 0, 3)), (long long)t,
                     (long long)seats);
            break;
        }
        case 6: snprintf(detail, sizeof(detail), "QBRで導入効果（工数削減）を確認"); break;
        default:
            fmt_day(day, date);
            snprintf(detail, sizeof(detail), "subscription %s on %s", m == 7 ? "renewed" : "grew",
                     date);
            break;
        }
        rc = store_milestone_complete(d->st, id, jr_ms[m].key,
                                      jr_ms[m].criterion ? "criterion" : "manual",
                                      jr_ms[m].criterion ? 0 : user, detail, at, false, NULL);
    }
    if (rc == KZ_OK)
        rc = store_value_reached_sync(d->st, id, "value_realised");
    return rc;
}

static int write_account(struct demo *d, struct rng *r, struct demo_account *a, size_t index)
{
    struct account acc;
    int64_t contacts[MAX_CONTACTS];
    size_t ncontacts = 0;
    account_init(&acc);
    acc.name = xstrdup(a->name);
    acc.domain = xstrdup(a->domain);
    acc.external_id = xstrdup(a->external_id);
    acc.industry = xstrdup(a->industry);
    acc.employees = a->employees;
    acc.address = xstrdup(a->address);
    acc.purpose = xstrdup(a->purpose);
    acc.challenges = xstrdup(a->challenge);
    acc.owner_id = a->owner_id;
    acc.phase = xstrdup(a->phase);
    acc.custom = custom_json(r, a);
    int rc = store_account_create(d->st, &acc);
    if (rc)
        goto out;
    d->naccounts++;
    rc = write_subscriptions(d, a, acc.id);
    if (rc == KZ_OK) {
        struct rng jw = { r->s ^ 0x6d696c6573746fULL };  /* its own stream: the rest unchanged */
        rc = write_journey(d, &jw, a, acc.id);
    }
    if (rc == KZ_OK)
        rc = write_contacts(d, r, a, acc.id, index, contacts, &ncontacts);
    if (rc == KZ_OK)
        rc = write_timeline(d, r, a, acc.id, contacts, ncontacts);
    if (rc == KZ_OK)
        rc = write_tasks(d, r, a, acc.id);
    if (rc == KZ_OK) /* goals with measured values, NPS/CSAT/CES answers (demo_success.c) */
        rc = demo_success_account(d->st, &(struct demo_success_input){
            .account_id = acc.id, .seed = rng_next(r), .first_day = a->first_day,
            .end_day = a->end_day, .today = d->today, .churned = str_eq(a->phase, "churned"),
            .english = a->english, .csm_id = a->owner_id ? a->owner_id : d->csm[0],
            .contacts = contacts, .ncontacts = ncontacts });
out:
    account_cleanup(&acc);
    return rc;
}

/* ------------------------------------------------------------ users */

static int ensure_user(struct demo *d, const char *email, const char *name, enum role role,
                       const char *hash, int64_t *id)
{
    struct user u;
    memset(&u, 0, sizeof(u));
    int rc = store_user_by_email(d->st, email, &u);
    if (rc == KZ_OK) {
        *id = u.id;
        goto out;
    }
    if (rc != KZ_ENOTFOUND)
        goto out;
    u.email = xstrdup(email);
    u.name = xstrdup(name);
    u.role = role;
    u.password_hash = xstrdup(hash);
    rc = store_user_create(d->st, &u);
    if (rc == KZ_OK) {
        *id = u.id;
        d->nusers++;
    }
out:
    user_cleanup(&u);
    return rc;
}

static int make_users(struct demo *d)
{
    static const struct {
        const char *email, *name;
        enum role role;
    } users[] = {
        { "sato@example.com", "佐藤 美咲", ROLE_CSM },
        { "suzuki@example.com", "鈴木 健太", ROLE_CSM },
        { "takahashi@example.com", "高橋 陽子", ROLE_CSM },
        { "tanaka@example.com", "田中 誠", ROLE_VIEWER },
    };
    char *hash = NULL;
    int rc = KZ_OK;
    /* One argon2id hash for all: hashing is the slow part. */
    if (password_hash(DEMO_PASSWORD, &hash)) {
        log_error("demo: password hashing failed");
        rc = KZ_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < N_OF(users) && rc == KZ_OK; i++)
        rc = ensure_user(d, users[i].email, users[i].name, users[i].role, hash,
                         i < 3 ? &d->csm[i] : &d->viewer);
out:
    free(hash);
    return rc;
}

/* ------------------------------------------------------------ entry point */

static int has_accounts(struct store *st, bool *yes)
{
    struct account_filter f;
    struct account *v = NULL;
    size_t n = 0;
    memset(&f, 0, sizeof(f));
    f.limit = 1;
    int rc = store_accounts_list(st, &f, &v, &n);
    *yes = n > 0;
    accounts_free(v, n);
    return rc;
}

int demo_generate(struct store *st, uint64_t seed, const char *today, FILE *log)
{
    struct demo d;
    char today_s[11];
    size_t ja_order[N_OF(ja_stems) * N_OF(ja_suffixes)];
    size_t en_order[N_OF(en_stems) * N_OF(en_suffixes)];
    size_t nja = 0, nen = 0;
    bool exists = false, in_tx = false;
    int rc;

    memset(&d, 0, sizeof(d));
    d.st = st;
    d.seed = seed;
    if (today) {
        if (date_valid(today))
            return KZ_EINVAL;
        snprintf(today_s, sizeof(today_s), "%s", today);
    } else {
        date_today(today_s);
    }
    d.today = date_to_days(today_s);
    d.window_start = date_add_months(d.today, -24);

    rc = store_begin(st);
    if (rc)
        goto out;
    in_tx = true;
    rc = has_accounts(st, &exists);
    if (rc)
        goto out;
    if (exists) {
        log_error("demo: the database already has accounts; use a new database file");
        rc = KZ_ECONFLICT;
        goto out;
    }
    rc = make_users(&d);
    if (rc)
        goto out;

    struct rng names = { seed ^ 0x6b697a756e61ULL };   /* "kizuna" */
    rng_permutation(&names, ja_order, N_OF(ja_order));
    rng_permutation(&names, en_order, N_OF(en_order));
    for (size_t i = 0; i < DEMO_ACCOUNTS && rc == KZ_OK; i++) {
        /* Each account has its own stream: seed, then the account number, mixed. */
        struct rng r = { seed };
        r.s ^= rng_next(&(struct rng){ (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1 });
        bool english = i % 4 == 3 && nen < N_OF(en_order);
        struct demo_account a;
        make_account(&d, &r, i, english ? 0 : ja_order[nja], english ? en_order[nen] : 0,
                     english, &a);
        if (english)
            nen++;
        else
            nja++;
        rc = write_account(&d, &r, &a, i);
        account_free_demo(&a);
    }
    if (rc == KZ_OK) /* product usage that follows each account's story (demo_usage.c) */
        rc = demo_usage_generate(st, seed, d.today, &d.usage);
    if (rc)
        goto out;
    in_tx = false;
    rc = store_commit(st);
    if (rc == KZ_OK && log)
        fprintf(log,
                "demo: %zu users, %zu accounts, %zu subscription changes, %zu contacts, "
                "%zu timeline entries, %zu tasks, %zu product users active on %zu user-days "
                "(seed %llu, today %s)\n",
                d.nusers, d.naccounts, d.nsubs, d.ncontacts, d.nentries, d.ntasks,
                d.usage.users, d.usage.user_days, (unsigned long long)seed, today_s);
out:
    if (in_tx)
        store_rollback(st);
    if (rc && rc != KZ_ECONFLICT)
        log_error("demo: generation failed: %s", kz_strerror(rc));
    return rc;
}
