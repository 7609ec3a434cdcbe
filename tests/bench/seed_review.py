"""Seed a review queue of N assets with SQL (generate_series), in bounded time, for the queue benchmark.

Secondary indexes are dropped during the load and rebuilt afterwards (a bulk index build is several times faster
than maintaining a trigram GIN index row by row).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from service.db.asset import Asset
from service.db.review import Review

TITLES = ("焊接技能大赛现场", "开放校园日", "家电维修进社区", "养老护理技能展示", "非遗传统工艺体验",
          "乡村振兴志愿服务", "职业体验日", "产教融合签约仪式", "数控加工实训", "茶艺展示", "汽车维修技能比武",
          "电子商务直播实训")
TAGS = ("技能展示", "开放校园", "志愿服务", "技能大赛", "乡村振兴", "产教融合", "职普融通", "社区服务")
PROVINCES = ("11", "31", "32", "33", "37", "41", "44", "51", "61", "65", "66", "50")


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def seed(engine: Engine, *, assets: int, log: bool = True) -> float:
    """Insert organisations, one campaign, submissions (10 assets each), assets and their review rows."""
    started = time.perf_counter()
    submissions = max(1, assets // 10)
    titles, tags, provinces = _sql_array(TITLES), _sql_array(TAGS), _sql_array(PROVINCES)
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
                   ({titles})[1 + g % {len(TITLES)}] || ' 第' || g || '场', '', '', '', o.region_code,
                   ARRAY[({tags})[1 + g % {len(TAGS)}]], '', true
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
