"""The submission metadata form: parse the posted fields, validate with the API's own schema, and say what is wrong
in Chinese (and English), field by field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from service.core.text import clean_text

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("标题", "title"),
    "category": ("类别", "category"),
    "description": ("活动简介", "description"),
    "activity": ("活动名称", "activity"),
    "activity_date": ("活动日期", "activity date"),
    "place": ("活动地点", "place"),
    "region_code": ("地区代码", "region code"),
    "theme_tags": ("主题标签", "theme tags"),
    "credits": ("署名", "credits"),
    "consent": ("肖像授权", "portrait consent"),
}
TEXT_FIELDS = ("title", "category", "description", "activity", "place", "credits")


def form_values(form: FormData) -> dict[str, Any]:
    """What the user typed, as the schema expects it (empty optional fields become None)."""
    values: dict[str, Any] = {name: clean_text(str(form.get(name, ""))) for name in TEXT_FIELDS}
    for name in ("activity_date", "region_code"):
        raw = clean_text(str(form.get(name, "")), multiline=False)
        values[name] = raw or None
    values["theme_tags"] = [clean_text(str(v), multiline=False) for v in form.getlist("theme_tags")]
    values["consent"] = form.get("consent") == "on"
    return values


def field_message(error: dict[str, Any], lang: str) -> str:
    field = str(error["loc"][0]) if error.get("loc") else ""
    zh_label, en_label = FIELD_LABELS.get(field, (field, field))
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        zh, en = f"请填写{zh_label}", f"{en_label} is required"
    elif kind == "string_too_long":
        zh, en = f"{zh_label}不能超过 {ctx.get('max_length')} 个字", f"{en_label} is too long"
    elif kind == "too_long":
        zh, en = f"{zh_label}最多选择 {ctx.get('max_length')} 项", f"too many {en_label}"
    elif kind == "string_pattern_mismatch":
        zh, en = f"{zh_label}应为 6 位数字（如 370102）", f"{en_label} must have 6 digits"
    elif kind.startswith("date"):
        zh, en = f"{zh_label}格式应为 年-月-日（如 2023-05-14）", f"{en_label} must look like 2023-05-14"
    elif kind == "value_error":
        text = str(error.get("msg", "")).removeprefix("Value error, ")
        zh, _, en = text.partition(" / ")
        en = en or text
    else:
        zh, en = f"{zh_label}填写有误", f"{en_label} is invalid"
    return zh if lang == "zh" else en


def validate(schema: type[BaseModel], values: dict[str, Any], lang: str) -> tuple[BaseModel | None, dict[str, str]]:
    """The validated model, or None and ``{field: message}``."""
    try:
        return schema.model_validate(values), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "_"
            errors.setdefault(field, field_message(dict(error), lang))
        return None, errors
