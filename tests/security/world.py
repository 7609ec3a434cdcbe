"""The people and resources every access-control check runs against: two submitting organisations, two outlets,
an editor, an admin, an anonymous caller, and resources in the states that matter (open/closed campaign, asset ready
or still uploading).

Assets are written straight to the database and S3 here (not uploaded): the matrix tests who may reach a resource,
not the upload path, and must not depend on the pipeline.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from service.core.db import session_scope
from service.db.asset import Asset, AssetKind, AssetStatus
from service.db.org import OrgKind, Role
from tests.load.media import photo
from tests.support import Actor, make_actor, make_asset, make_campaign, make_org, make_submission, unique

READY_BYTES = photo(64, 48, seed=7)
#: What a PATCH in the matrix sends: a whole small photo, so an allowed PATCH completes a real upload.
PATCH_BYTES = photo(48, 32, seed=8)
#: The matrix's columns, in order.
ROLES: tuple[str, ...] = ("anonymous", "submitter_a", "submitter_b", "editor", "outlet_x", "outlet_y", "admin")


def asset_in_state(actor: Actor, submission_id: uuid.UUID, campaign_id: uuid.UUID,
                   status: AssetStatus = AssetStatus.ready, data: bytes | None = None) -> uuid.UUID:
    """An image asset of ``actor``'s organisation in ``status`` (tests.support.make_asset, nothing queued)."""
    data = data or photo(64, 48, seed=len(unique("x")))
    asset_id = make_asset(actor, campaign_id, data, "photo.jpg", submission_id=submission_id,
                          first_step="verify" if status == AssetStatus.uploading else "probe", queue=False)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status, asset.kind, asset.mime, asset.width, asset.height = status, AssetKind.image, "image/jpeg", 64, 48
        asset.ready_at = datetime.now(UTC) if status == AssetStatus.ready else None
    return asset_id


def with_renditions(asset_id: uuid.UUID) -> None:
    """A ``thumb`` and an ``hls`` rendition (master playlist plus one variant playlist) in S3 and in the database."""
    from service.core.storage import get_storage
    from service.db.asset import Rendition

    storage = get_storage()
    playlist = "application/vnd.apple.mpegurl"
    files = {"thumb.jpg": (photo(32, 24, seed=9), "image/jpeg"),
             "hls/master.m3u8": (b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv720.m3u8\n", playlist),
             "hls/v720.m3u8": (b"#EXTM3U\n#EXT-X-ENDLIST\n", playlist)}
    for name, (data, mime) in files.items():
        storage.put_bytes(f"derived/{asset_id}/{name}", data, mime)
    with session_scope() as session:
        session.add(Rendition(asset_id=asset_id, name="thumb", key=f"derived/{asset_id}/thumb.jpg", mime="image/jpeg",
                              width=32, height=24, size=len(files["thumb.jpg"][0])))
        session.add(Rendition(asset_id=asset_id, name="hls", key=f"derived/{asset_id}/hls/master.m3u8",
                              mime="application/vnd.apple.mpegurl", width=None, height=None, size=100))


def _release_to_outlet_x(world: World) -> None:
    """A featured asset of organisation A in a collection released (now) to outlet X only. It has a submission of its
    own: a submission with released files is frozen for its submitter (409), and ``submission_a`` must stay editable."""
    from service.core.security import Principal
    from service.db.asset import ReviewStatus
    from service.db.portal import Audience
    from service.portal.collections import create_collection
    from service.portal.schemas import CollectionIn

    submitter_a, admin, outlet_x = (world.actors[r] for r in ("submitter_a", "admin", "outlet_x"))
    assert submitter_a is not None
    assert admin is not None
    assert outlet_x is not None
    released_submission = make_submission(submitter_a, world.ids["open_campaign"])
    asset_id = asset_in_state(submitter_a, released_submission, world.ids["open_campaign"], AssetStatus.ready)
    with_renditions(asset_id)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.review_status = ReviewStatus.featured
        session.flush()
        collection = create_collection(
            session, principal=Principal(admin.user_id, admin.username, admin.role, admin.org_id),
            data=CollectionIn(title="权限矩阵：仅限媒体X", audience=Audience.named, outlet_ids=[outlet_x.org_id],
                              asset_ids=[asset_id], release_at=datetime.now(UTC) - timedelta(minutes=1)))
        world.ids.update(asset_released_x=asset_id, collection_x=collection.id)


def make_upload(actor: Actor, submission_id: uuid.UUID, length: int = 10) -> uuid.UUID:
    """An active tus upload of ``actor`` (S3 multipart started), as the creation request would leave it."""
    from service.core.security import Principal
    from service.ingest import uploads
    from service.ingest.tus_protocol import UploadMetadata

    principal = Principal(actor.user_id, actor.username, actor.role, actor.org_id)
    with session_scope() as session:
        meta = UploadMetadata(str(submission_id), "矩阵.jpg", None, None, {})
        return uploads.create_upload(session, principal=principal, meta=meta, length=length).id


def _principal(actor: Actor) -> Any:
    from service.core.security import Principal

    return Principal(actor.user_id, actor.username, actor.role, actor.org_id)


def make_cluster(world: World) -> uuid.UUID:
    """A duplicate cluster across organisations: a ready photo of A and one of B, A's the best shot."""
    from service.db.review import Review
    from service.db.review_index import sync_review_row
    from service.db.screening import AssetScreening, DuplicateCluster

    submitter_a, submitter_b = world.actors["submitter_a"], world.actors["submitter_b"]
    assert submitter_a is not None
    assert submitter_b is not None
    ids = [asset_in_state(submitter_a, world.ids["submission_a_more"], world.ids["open_campaign"]),
           asset_in_state(submitter_b, world.ids["submission_b"], world.ids["open_campaign"])]
    with session_scope() as session:
        cluster = DuplicateCluster(best_asset_id=ids[0], size=2)
        session.add(cluster)
        session.flush()
        for asset_id in ids:
            session.add(AssetScreening(asset_id=asset_id, cluster_id=cluster.id, match_distance=0))
            sync_review_row(session, asset_id)
            review = session.get(Review, asset_id)
            assert review is not None
            review.cluster_id, review.cluster_best = cluster.id, asset_id == ids[0]
        return cluster.id


def make_draft_collection(world: World) -> uuid.UUID:
    """An unreleased collection (made by the admin) holding one featured photo of organisation A."""
    from service.db.portal import Audience
    from service.portal.collections import create_collection
    from service.portal.schemas import CollectionIn

    admin, submitter_a = world.actors["admin"], world.actors["submitter_a"]
    assert admin is not None
    assert submitter_a is not None
    asset_id = world.ids["asset_featured_a"]
    with session_scope() as session:
        collection = create_collection(session, principal=_principal(admin), data=CollectionIn(
            title="权限矩阵：草稿", audience=Audience.all_outlets, asset_ids=[asset_id]))
        return collection.id


def make_revocation(world: World) -> uuid.UUID:
    """Outlet Y's access to outlet X's collection withdrawn (Y never had it: nobody else is disturbed)."""
    from service.portal.collections import revoke
    from service.portal.schemas import RevocationIn

    admin = world.actors["admin"]
    assert admin is not None
    with session_scope() as session:
        revocation = revoke(session, principal=_principal(admin), data=RevocationIn(
            org_id=str(world.ids["org_y"]), collection_id=world.ids["collection_x"], reason="权限矩阵"))
        return revocation.id


def make_filter(world: World, role: str = "editor") -> uuid.UUID:
    from service.review.saved import save_filter

    actor = world.actors[role]
    assert actor is not None
    with session_scope() as session:
        return save_filter(session, principal=_principal(actor), name=unique("矩阵筛选"),
                           query={"status": "pending"}).id


def make_notification(actor: Actor) -> uuid.UUID:
    """An in-app notification of this user (as the dispatcher writes it)."""
    from service.db.notify import Notification

    with session_scope() as session:
        row = Notification(user_id=actor.user_id, kind="asset_rejected", title="文件未通过审核：权限矩阵.jpg",
                           body="原因：权限矩阵", link="/submissions")
        session.add(row)
        session.flush()
        return row.id
def make_consent_document(world: World) -> uuid.UUID:
    """A signed consent form (PDF) for submission A, uploaded by submitter A."""
    from service.consent.documents import upload

    submitter_a = world.actors["submitter_a"]
    assert submitter_a is not None
    with session_scope() as session:
        return upload(session, principal=_principal(submitter_a), submission_id=world.ids["submission_a"],
                      asset_id=None, data=CONSENT_PDF).id


CONSENT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_package(world: World) -> uuid.UUID:
    """Outlet X's package of the photo released to it."""
    from service.portal.packages import request_package
    from service.portal.schemas import PackageIn

    outlet_x = world.actors["outlet_x"]
    assert outlet_x is not None
    with session_scope() as session:
        return request_package(session, principal=_principal(outlet_x), data=PackageIn(
            asset_ids=[world.ids["asset_released_x"]])).id


def make_report(actor: Actor, campaign_id: uuid.UUID, *, filed: bool = False,
                link: uuid.UUID | None = None) -> uuid.UUID:
    """A typical case of ``actor``'s organisation with a body (so it can be filed), a draft unless ``filed``."""
    from service.db.reporting import ReportKind
    from service.reporting import service
    from service.reporting.schemas import ReportCreate

    principal = _principal(actor)
    with session_scope() as session:
        report = service.create_report(session, principal=principal, data=ReportCreate(
            kind=ReportKind.case, campaign_id=campaign_id, title=unique("权限矩阵案例"), body="权限矩阵：案例正文"))
        if link is not None:
            service.link_assets(session, principal=principal, report_id=report.id, asset_ids=[link])
        if filed:
            service.file_report(session, principal=principal, report_id=report.id)
        return report.id


@dataclass
class World:
    actors: dict[str, Actor | None]
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    actors_extra: dict[str, Actor] = field(default_factory=dict)  # users behind resources, not matrix columns

    def fresh(self, factory: str) -> uuid.UUID:
        """A new resource for one request that consumes it (termination, completion)."""
        submitter_a = self.actors["submitter_a"]
        assert submitter_a is not None
        if factory == "upload_a":
            return make_upload(submitter_a, self.ids["submission_a_more"], length=len(PATCH_BYTES))
        if factory == "ready_asset_a":
            return asset_in_state(submitter_a, self.ids["submission_a_more"], self.ids["open_campaign"],
                                  AssetStatus.ready)
        if factory == "failed_asset_a":
            return asset_in_state(submitter_a, self.ids["submission_a_more"], self.ids["open_campaign"],
                                  AssetStatus.failed)
        if factory == "tagged_asset_a":
            from service.review.service import edit

            editor = self.actors["editor"]
            assert editor is not None
            asset_id = asset_in_state(submitter_a, self.ids["submission_a_more"], self.ids["open_campaign"],
                                      AssetStatus.ready)
            with session_scope() as session:
                edit(session, principal=_principal(editor), asset_id=asset_id, version=None, add_tags=["权限矩阵"])
            return asset_id
        if factory == "takedown_request_a":
            from service.takedown.service import request_takedown

            asset_id = asset_in_state(submitter_a, self.ids["submission_a_more"], self.ids["open_campaign"],
                                      AssetStatus.ready)
            with session_scope() as session:
                return request_takedown(session, principal=_principal(submitter_a), asset_id=asset_id,
                                        reason="权限矩阵：监护人撤回同意").id
        if factory == "cluster_ab":
            return make_cluster(self)
        if factory == "draft_collection":
            return make_draft_collection(self)
        if factory == "revocation_y":
            return make_revocation(self)
        if factory == "editor_filter":
            return make_filter(self)
        if factory == "new_name":  # a name nobody has used (a campaign created by the row)
            return uuid.uuid4()
        if factory == "campaign":  # a campaign whose taxonomy a row may replace
            return make_campaign(open_now=False)
        if factory == "draft_document_a":  # a document of a new draft report of A (deleting it is allowed)
            from tests.documents_samples import make_document
            from tests.documents_samples import make_report as make_document_report

            return make_document(submitter_a, make_document_report(submitter_a, self.ids["open_campaign"]))
        if factory == "user_a":  # an account of organisation A that admin actions may reset, deactivate, end
            return make_actor(Role.submitter, self.ids["org_a"], password=PASSWORD).user_id
        if factory == "org_fresh":
            return make_org(OrgKind.school, name=unique("权限矩阵单位"))
        if factory == "member_submission_a":
            return make_member_submission(self)
        if factory == "member_report_a":
            return make_member_report(self)
        if factory == "school_without_parent":
            return make_member_org()
        if factory == "draft_report_a":
            return make_report(submitter_a, self.ids["open_campaign"])
        if factory == "filed_report_a":
            return make_report(submitter_a, self.ids["open_campaign"], filed=True)
        if factory == "linked_report_a":
            return make_report(submitter_a, self.ids["open_campaign"], link=self.ids["asset_linked_a"])
        raise ValueError(f"unknown factory {factory!r}")

    def headers(self, role: str) -> dict[str, str]:
        actor = self.actors[role]
        return actor.headers if actor else {}


#: Every matrix actor's password (throwaway users on throwaway servers), for the web pages' cookie sessions.
PASSWORD = "matrix-password-2023"  # noqa: S105


def _reports_of_a(world: World) -> None:
    """Organisation A's reports in the states that matter, and a ready document (with a thumbnail) of the filed one."""
    from tests.documents_samples import make_document, make_report

    submitter_a = world.actors["submitter_a"]
    assert submitter_a is not None
    campaign = world.ids["open_campaign"]
    world.ids.update(report_a_draft=make_report(submitter_a, campaign, title="权限矩阵：草稿案例"),
                     report_a_filed=make_report(submitter_a, campaign, status="filed", title="权限矩阵：已提交案例"),
                     report_a_accepted=make_report(submitter_a, campaign, status="accepted", title="权限矩阵：已采用"))
    world.ids["document_a"] = make_document(submitter_a, world.ids["report_a_filed"], thumbnail=photo(32, 45, seed=5))


def make_member_submission(world: World) -> uuid.UUID:
    """A new submission of the school under organisation A (A is a province): pending in A's pre-review."""
    member = world.actors_extra["member_a"]
    return make_submission(member, world.ids["open_campaign"], title="A 的下属学校：技能展示")


def make_member_report(world: World) -> uuid.UUID:
    """A new filed typical case of the school under organisation A."""
    from service.db.reporting import Report, ReportKind, ReportStatus

    member = world.actors_extra["member_a"]
    with session_scope() as session:
        report = Report(campaign_id=world.ids["open_campaign"], org_id=member.org_id, kind=ReportKind.case,
                        status=ReportStatus.filed, title="A 的下属学校：典型案例", created_by=member.user_id,
                        filed_by=member.user_id, filed_at=datetime.now(UTC))
        session.add(report)
        session.flush()
        return report.id


def make_member_org(parent_id: uuid.UUID | None = None) -> uuid.UUID:
    """A school; under ``parent_id`` when given (written directly: the matrix tests access, not the tree rules)."""
    from service.db.org import Organization

    org_id = make_org(OrgKind.school, name=unique("下属学校"))
    if parent_id is not None:
        with session_scope() as session:
            org = session.get(Organization, org_id)
            assert org is not None
            org.parent_id = parent_id
    return org_id


def build_world() -> World:
    # Organisation A is a province with one member school (its pre-review and read-only view of the school's material
    # are in the matrix); B is a school outside A's tree, so submitter_b is the neighbour that must see none of it.
    org_a, org_b = make_org(OrgKind.province, name=unique("省A")), make_org(OrgKind.school, name=unique("学校B"))
    actors: dict[str, Actor | None] = {
        "anonymous": None,
        "submitter_a": make_actor(Role.submitter, org_a, password=PASSWORD),
        "submitter_b": make_actor(Role.submitter, org_b, password=PASSWORD),
        "editor": make_actor(Role.editor, password=PASSWORD),
        "outlet_x": make_actor(Role.outlet, password=PASSWORD),
        "outlet_y": make_actor(Role.outlet, password=PASSWORD),
        "admin": make_actor(Role.admin, password=PASSWORD),
    }
    submitter_a = actors["submitter_a"]
    assert submitter_a is not None
    open_campaign, closed_campaign = make_campaign(open_now=True), make_campaign(open_now=False)
    submission_a = make_submission(submitter_a, open_campaign, title="学校A：开放校园")
    submitter_b = actors["submitter_b"]
    assert submitter_b is not None
    submission_b = make_submission(submitter_b, open_campaign, title="学校B：技能展示")
    submission_a_closed = make_submission(submitter_a, closed_campaign, title="学校A：往年材料")
    # Resources made per request (fresh) go here, so that submission A's list keeps its few known assets.
    submission_a_more = make_submission(submitter_a, open_campaign, title="学校A：更多照片")
    world = World(actors)
    world.ids.update(
        open_campaign=open_campaign, closed_campaign=closed_campaign, org_a=org_a, org_b=org_b,
        org_x=actors["outlet_x"].org_id, org_y=actors["outlet_y"].org_id,  # type: ignore[union-attr]
        submission_a=submission_a, submission_a_closed=submission_a_closed, submission_b=submission_b,
        submission_a_more=submission_a_more,
        asset_a_ready=asset_in_state(submitter_a, submission_a, open_campaign, AssetStatus.ready, data=READY_BYTES),
        asset_a_uploading=asset_in_state(submitter_a, submission_a, open_campaign, AssetStatus.uploading),
        asset_a_rejected=asset_in_state(submitter_a, submission_a, open_campaign, AssetStatus.rejected_invalid),
    )
    _release_to_outlet_x(world)
    # (in submission_a_more: a featured file freezes its submission for the submitter, and submission_a stays editable)
    featured = asset_in_state(submitter_a, submission_a_more, open_campaign, AssetStatus.ready)
    with session_scope() as session:
        from service.db.asset import ReviewStatus

        asset = session.get(Asset, featured)
        assert asset is not None
        asset.review_status = ReviewStatus.featured
    world.ids["asset_featured_a"] = featured
    world.ids.update(cluster_ab=make_cluster(world), package_x=make_package(world),
                     collection_draft=make_draft_collection(world))
    with session_scope() as session:
        from service.db.campaign import WeekReport

        report = WeekReport(campaign_id=open_campaign)  # pending: its downloads answer 409 until a worker built it
        session.add(report)
        session.flush()
        world.ids["week_report"] = report.id
    world.ids["notification_a"] = make_notification(submitter_a)
    world.ids["user_b"] = submitter_b.user_id
    world.ids["asset_linked_a"] = asset_in_state(submitter_a, submission_a_more, open_campaign, AssetStatus.ready)
    # report_a_draft, report_a_filed (with a ready document) and report_a_accepted: _reports_of_a below
    world.ids.update(consent_document_a=make_consent_document(world))
    with session_scope() as session:  # far off, so the matrix's run request is refused (409), never a purge
        from service.db.retention import RetentionPolicy

        session.add(RetentionPolicy(campaign_id=open_campaign, months=240, updated_by=None))
    world.sha256["asset_a_ready"] = hashlib.sha256(READY_BYTES).hexdigest()
    _reports_of_a(world)
    with_renditions(world.ids["asset_a_ready"])
    member = make_actor(Role.submitter, make_member_org(org_a), password=PASSWORD)
    world.actors_extra["member_a"] = member
    member_submission = make_member_submission(world)
    world.ids.update(org_member_a=member.org_id, submission_member_a=member_submission,
                     asset_member_a_ready=asset_in_state(member, member_submission, open_campaign, AssetStatus.ready),
                     report_member_a=make_member_report(world))
    return world
