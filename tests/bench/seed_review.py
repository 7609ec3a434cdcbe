"""Seed a review queue of N assets with SQL (generate_series), in bounded time, for the queue benchmark.

Secondary indexes are dropped during the load and rebuilt afterwards (a bulk index build is several times faster
than maintaining a trigram GIN index row by row).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from service.db.asset import Asset
from service.db.review import Review


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Titles are place × trade × event (40 × 50 × 20 = 40,000 distinct), as schools name their reports.
PLACES = _words(
    "北京 上海 天津 重庆 济南 青岛 南京 苏州 杭州 宁波 合肥 福州 厦门 南昌 郑州 "
    "武汉 长沙 广州 深圳 南宁 海口 成都 贵阳 昆明 拉萨 西安 兰州 西宁 银川 "
    "乌鲁木齐 石河子 太原 呼和浩特 沈阳 大连 长春 哈尔滨 石家庄 唐山 洛阳"
)
TRADES = _words(
    "焊接 数控加工 汽车维修 养老护理 茶艺 电子商务 烹饪 美容美发 家电维修 无人机 "
    "工业机器人 新能源汽车 智能制造 物流管理 会计 护理 幼儿保育 中医康复 建筑施工 "
    "电气安装 模具设计 服装设计 陶瓷 刺绣 木工 园林 畜牧兽医 农业技术 酒店管理 "
    "旅游服务 航空服务 轨道交通 船舶 化工 冶金 软件开发 网络安全 大数据 人工智能 "
    "动漫设计 影视制作 播音主持 非遗剪纸 传统木雕 中式面点 西式烘焙 咖啡制作 家政服务 "
    "社区服务 应急救援"
)
EVENTS = _words(
    "技能展示 开放日 进社区 技能大赛 实训成果展 体验课 志愿服务 公开课 校企合作签约 "
    "成果发布会 大师工作室开放 职业体验日 作品展 技能比武 宣讲会 直播实训 创新创业路演 "
    "招生咨询 专题讲座 毕业设计展"
)
#: Tags: the week's broad themes plus trade × event tags (1,000 distinct, each on ≈ 0.1 % of the assets).
TAGS = ("技能展示", "开放校园", "志愿服务", "技能大赛", "乡村振兴", "产教融合", "职普融通", "社区服务")
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
             "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "66")


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def seed(engine: Engine, *, assets: int, log: bool = True) -> float:
    """Insert organisations, one campaign, submissions (10 assets each), assets and their review rows."""
    started = time.perf_counter()
    submissions = max(1, assets // 10)
    places, trades, events = _sql_array(PLACES), _sql_array(TRADES), _sql_array(EVENTS)
    tags, provinces = _sql_array(TAGS), _sql_array(PROVINCES)
    np_, nt, ne = len(PLACES), len(TRADES), len(EVENTS)
    steps = [
        ("organisations", f"""
            INSERT INTO organization (id, name, kind, region_code)
            SELECT gen_random_uuid(), 'bench-org-' || g, 'school',
                   ({provinces})[1 + g % {len(PROVINCES)}] || lpad((1 + g % 17)::text, 2, '0') || '02'
            FROM generate_series(1, 2000) g"""),
        ("campaign", """
            INSERT INTO campaign (id, year, name, theme, week_start, week_end, upload_opens_at, upload_closes_at,
                max_image_bytes, max_video_bytes, org_quota_bytes, min_image_pixels, min_video_height,
                min_video_seconds, max_video_seconds)
            VALUES (gen_random_uuid(), 2023, 'bench-campaign', '技能：让生活更美好', '2023-05-14', '2023-05-20',
                now() - interval '10 days', now() + interval '10 days', 200000000, 8000000000, 200000000000,
                307200, 360, 1, 1800)"""),
        ("submissions", f"""
            CREATE TEMP TABLE bench_org AS SELECT row_number() OVER (ORDER BY id) AS n, id, region_code
                FROM organization WHERE name LIKE 'bench-org-%';
            INSERT INTO submission (id, campaign_id, org_id, category, title, description, activity, place,
                region_code, theme_tags, credits, consent)
            SELECT gen_random_uuid(), (SELECT id FROM campaign WHERE name = 'bench-campaign'), o.id,
                   (ARRAY['activity_photos','activity_video','typical_case','news_report'])[1 + g % 4],
                   ({places})[1 + g % {np_}] || ({trades})[1 + (g / {np_}) % {nt}]
                       || ({events})[1 + (g / {np_ * nt}) % {ne}] || ' 第' || g || '场', '', '', '', o.region_code,
                   ARRAY[({tags})[1 + g % {len(TAGS)}],
                         ({trades})[1 + (g * 7) % {nt}] || ({events})[1 + (g * 3 + g / {nt}) % {ne}]], '', true
            FROM generate_series(1, {submissions}) g JOIN bench_org o ON o.n = 1 + g % 2000"""),
        ("drop indexes", ""),
        ("assets", f"""
            CREATE TEMP TABLE bench_sub AS SELECT row_number() OVER (ORDER BY id) AS n, id, org_id, campaign_id
                FROM submission WHERE campaign_id = (SELECT id FROM campaign WHERE name = 'bench-campaign');
            INSERT INTO asset (id, submission_id, org_id, campaign_id, kind, status, original_key, original_filename,
                size, mime, sha256, probe, width, height, capture_time, ready_at, review_status, caption, credit,
                created_at, updated_at)
            SELECT gen_random_uuid(), s.id, s.org_id, s.campaign_id,
                   CASE WHEN g % 10 = 0 THEN 'video' ELSE 'image' END, 'ready', 'originals/bench/' || g,
                   'IMG_' || g || CASE WHEN g % 10 = 0 THEN '.mp4' ELSE '.jpg' END, 3000000,
                   CASE WHEN g % 10 = 0 THEN 'video/mp4' ELSE 'image/jpeg' END, md5(g::text) || md5((g + 1)::text),
                   '{{}}', 4000, 3000, timestamptz '2023-05-14' + (g % 604800) * interval '1 second',
                   now() - (g % 604800) * interval '1 second',
                   (ARRAY['pending','pending','pending','pending','pending','pending','approved','rejected',
                          'featured','pending'])[1 + g % 10], '', '',
                   now() - (g % 604800) * interval '1 second', now()
            FROM generate_series(1, {assets}) g JOIN bench_sub s ON s.n = 1 + g % {submissions}"""),
        ("review rows", """
            INSERT INTO review (asset_id, version, reason_text, campaign_id, org_id, region_code, category, kind,
                review_status, title, uploaded_at, capture_time, quality_score, risk_score, risk_flags, findings,
                tag_names, tags, ocr_text, cluster_id, cluster_best, search_text)
            SELECT a.id, 1, '', a.campaign_id, a.org_id, s.region_code, s.category, a.kind, a.review_status, s.title,
                   a.created_at, a.capture_time, random(), r.risk,
                   CASE WHEN r.risk > 0.95 THEN ARRAY['qr'] WHEN r.risk > 0.9 THEN ARRAY['faces']
                        ELSE ARRAY[]::varchar[] END,
                   '[]', s.theme_tags, '[]', r.ocr,
                   CASE WHEN r.h % 50 = 0 THEN md5((r.h / 100)::text)::uuid END, r.h % 100 = 0,
                   lower(s.title || ' ' || a.original_filename || ' ' || r.ocr || ' '
                         || array_to_string(s.theme_tags, ' '))
            FROM asset a JOIN submission s ON s.id = a.submission_id,
                 LATERAL (SELECT random() AS risk, abs(hashtext(a.id::text)) AS h,
                          CASE WHEN abs(hashtext(a.id::text)) % 10 = 0 THEN '2023年职业教育活动周 技能让生活更美好'
                               WHEN abs(hashtext(a.id::text)) % 10 = 1 THEN s.title || ' 欢迎参观'
                               ELSE '' END AS ocr) r
            WHERE a.campaign_id = (SELECT id FROM campaign WHERE name = 'bench-campaign')"""),
        ("rebuild indexes", ""),
        ("analyze", "ANALYZE organization; ANALYZE submission; ANALYZE asset; ANALYZE review"),
    ]
    indexes = [*Asset.__table__.indexes, *Review.__table__.indexes]
    for name, sql in steps:
        step_started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            if name == "drop indexes":
                for index in indexes:
                    index.drop(conn)
            elif name == "rebuild indexes":
                for index in indexes:
                    index.create(conn)
            else:
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(text(statement))
        if log:
            print(f"  seed {name}: {time.perf_counter() - step_started:.1f} s", flush=True)  # noqa: T201
    return time.perf_counter() - started
