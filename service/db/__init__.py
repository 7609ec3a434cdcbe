"""SQLAlchemy models, one module per aggregate. Import this package to register every table."""

from service.db.asset import Asset, AssetKind, AssetStatus, Job, JobStatus, Rendition, ReviewStatus
from service.db.audit import AuditLog
from service.db.base import Base
from service.db.campaign import Campaign
from service.db.consent import ConsentDocument, ConsentState
from service.db.events import OutboxEvent
from service.db.notify import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationProfile,
    OrgWebhook,
)
from service.db.org import ApiToken, Organization, OrgKind, Role, User
from service.db.portal import (
    Audience,
    Collection,
    CollectionItem,
    CollectionOutlet,
    DeliveryFile,
    Download,
    Package,
    PackageStatus,
    Revocation,
)
from service.db.prereview import PrereviewState, SubmissionPrereview
from service.db.reporting import (
    DocumentStatus,
    DocumentType,
    Report,
    ReportAsset,
    ReportDocument,
    ReportKind,
    ReportStatus,
)
from service.db.retention import RetentionAnchor, RetentionPolicy
from service.db.review import Review, ReviewEvent, SavedFilter
from service.db.screening import (
    AssetEmbedding,
    AssetHash,
    AssetScreening,
    AssetTag,
    DuplicateCluster,
    Finding,
    Tag,
    TagSource,
)
from service.db.submission import Submission
from service.db.takedown import Takedown, TakedownStatus
from service.db.upload import Upload

__all__ = [
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "NotificationProfile",
    "OrgWebhook",
    "ConsentDocument",
    "ConsentState",
    "RetentionAnchor",
    "RetentionPolicy",
    "AuditLog",
    "DocumentStatus",
    "DocumentType",
    "OutboxEvent",
    "PrereviewState",
    "SubmissionPrereview",
    "Report",
    "ReportAsset",
    "ReportDocument",
    "ReportKind",
    "ReportStatus",
    "AssetEmbedding",
    "AssetHash",
    "AssetScreening",
    "AssetTag",
    "DuplicateCluster",
    "Finding",
    "Tag",
    "TagSource",
    "Takedown",
    "TakedownStatus",
    "ApiToken",
    "Asset",
    "Audience",
    "AssetKind",
    "AssetStatus",
    "Base",
    "Campaign",
    "Collection",
    "CollectionItem",
    "CollectionOutlet",
    "DeliveryFile",
    "Download",
    "Job",
    "JobStatus",
    "OrgKind",
    "Organization",
    "Package",
    "PackageStatus",
    "Rendition",
    "Review",
    "ReviewEvent",
    "Revocation",
    "ReviewStatus",
    "Role",
    "SavedFilter",
    "Submission",
    "Upload",
    "User",
]
