"""The three XLSForms, written out to be read: the source of cbpar/openrosa/forms/*.xlsx.

Each question's `name` is the product's own field name (village, field_ref, members ...), so a
KoBo or ODK Central export of these forms maps onto households and facilities by itself in the
import wizard (cbpar/transfer/columns.py), and a submission sent here fills the page's form.
`gps` is a geopoint ("lat lon altitude accuracy"), as the import reads it. The choice lists
`village` and `child` hold one example row here: the project's villages and children replace
them whenever a form is served or downloaded (cbpar/openrosa/xlsforms.py).

Regenerate the workbooks after changing this file:

    .venv/bin/python -m cbpar.openrosa.build_forms

(a test fails while the workbooks and this file disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EN = "English (en)"
ZH = "中文 (zh)"
LANGUAGES = (EN, ZH)

COUNT = ". >= 0 and . <= 99"
COUNT_MESSAGE = ("A whole number from 0 to 99.", "填 0 到 99 的整数。")
NOT_FUTURE = ". <= today()"
NOT_FUTURE_MESSAGE = ("This date is in the future.", "这个日期在今天之后。")


@dataclass(frozen=True)
class Question:
    type: str
    name: str
    label: tuple[str, str]  # English, Chinese
    hint: tuple[str, str] = ("", "")
    required: bool = False
    default: str = ""
    constraint: str = ""
    constraint_message: tuple[str, str] = ("", "")
    appearance: str = ""
    parameters: str = ""


@dataclass(frozen=True)
class Choice:
    name: str
    label: tuple[str, str]


@dataclass(frozen=True)
class FormDefinition:
    form_id: str
    title: tuple[str, str]
    version: str  # bump when the questions change; the project's choices add their own part
    questions: tuple[Question, ...]
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.form_id}.xlsx"


VILLAGE_EXAMPLE = (Choice("SH", ("Shuanghe (example: your project's villages)", "双河（示例）")),)
CHILD_EXAMPLE = (Choice("SH-001-1", ("SH-001-1 (example: your project's children)", "示例")),)

MIGRANT_PARENTS = (
    Choice("none", ("Neither parent", "父母均未外出")),
    Choice("father", ("Father", "父亲")),
    Choice("mother", ("Mother", "母亲")),
    Choice("both", ("Both parents", "父母均外出")),
    Choice("unknown", ("Unknown / not asked", "不清楚 / 没问到")),
)
CAREGIVER = (
    Choice("parents", ("Parents", "父母")),
    Choice("grandparents", ("Grandparents", "祖父母")),
    Choice("other_relatives", ("Other relatives", "其他亲属")),
    Choice("other", ("Other", "其他")),
    Choice("unknown", ("Unknown / not asked", "不清楚 / 没问到")),
)
FACILITY_KIND = (
    Choice("kindergarten", ("Kindergarten", "幼儿园")),
    Choice("primary_school", ("Primary school", "小学")),
    Choice("middle_school", ("Middle school", "初中")),
    Choice("clinic", ("Clinic", "卫生室")),
    Choice("village_committee", ("Village committee office", "村委会办公室")),
    Choice("library", ("Library", "图书室")),
    Choice("social_work_station", ("Social-work station", "社工站")),
    Choice("other", ("Other", "其他")),
)
FACILITY_STATUS = (
    Choice("planned", ("Planned", "规划中")),
    Choice("under_construction", ("Under construction", "在建")),
    Choice("operating", ("Operating", "运营中")),
    Choice("closed", ("Closed", "已关闭")),
)
CONTACT_KIND = (
    Choice("video_call", ("Video call with a parent", "和父母视频通话")),
    Choice("phone_call", ("Phone call with a parent", "和父母打电话")),
    Choice("home_visit", ("Home visit", "家访")),
    Choice("teacher_visit", ("Class-teacher visit", "班主任家访")),
    Choice("talk", ("Heart-to-heart talk", "谈心")),
)


# Photos are scaled on the phone: a submission stays well under the upload limit.
PHOTO = Question(
    "image", "photo", ("Photo (optional)", "照片（可以不拍）"), parameters="max-pixels=1600"
)


def _count(name: str, label: tuple[str, str]) -> Question:
    return Question(
        "integer",
        name,
        label,
        hint=("Leave blank if not known.", "不知道就空着。"),
        constraint=COUNT,
        constraint_message=COUNT_MESSAGE,
    )


HOUSEHOLD = FormDefinition(
    form_id="cbpar_household",
    title=("Household", "农户"),
    version="2026112901",
    questions=(
        Question("select_one village", "village", ("Village", "村庄"), required=True),
        Question(
            "text",
            "field_ref",
            ("Field team's own household number", "调查队自己的户编号"),
            hint=("Optional. Never a name.", "可以不填。不要写名字。"),
        ),
        Question(
            "geopoint",
            "gps",
            ("Location of the household", "农户的位置"),
            hint=("Stand at the house and record the location.", "站在房子旁边记录位置。"),
            required=True,
        ),
        _count("members", ("Members of the household", "家庭成员人数")),
        _count("children_under_6", ("Children under 6", "6 岁以下儿童")),
        _count("children_6_17", ("Children 6 to 17", "6 至 17 岁儿童")),
        _count("left_behind_children", ("Left-behind children", "留守儿童")),
        Question(
            "select_one migrant_parents",
            "migrant_parents",
            ("Parents working away", "外出务工的父母"),
            required=True,
            default="unknown",
        ),
        Question(
            "select_one caregiver",
            "caregiver",
            ("Main caregiver of the children", "儿童的主要照料人"),
            required=True,
            default="unknown",
        ),
        Question(
            "date",
            "visited_on",
            ("Date of visit", "走访日期"),
            default="today()",
            constraint=NOT_FUTURE,
            constraint_message=NOT_FUTURE_MESSAGE,
        ),
        Question(
            "date",
            "consent_on",
            ("Consent to be recorded, date", "同意记录的日期"),
            constraint=NOT_FUTURE,
            constraint_message=NOT_FUTURE_MESSAGE,
        ),
        Question(
            "text",
            "consent_given_by",
            ("Consent given by", "同意人"),
            hint=("A role, not a name: e.g. grandmother.", "写身份，不写名字：比如奶奶。"),
        ),
        Question(
            "text",
            "notes",
            ("Notes (sensitive)", "备注（敏感）"),
            hint=("Never write names here.", "这里不要写名字。"),
            appearance="multiline",
        ),
        PHOTO,
    ),
    choices={
        "village": VILLAGE_EXAMPLE,
        "migrant_parents": MIGRANT_PARENTS,
        "caregiver": CAREGIVER,
    },
)

FACILITY = FormDefinition(
    form_id="cbpar_facility",
    title=("Facility", "设施"),
    version="2026112901",
    questions=(
        Question("text", "name", ("Name", "名称"), required=True),
        Question("select_one facility_kind", "kind", ("Kind", "类型"), required=True),
        Question(
            "select_one facility_status",
            "status",
            ("Status", "状态"),
            required=True,
            default="operating",
        ),
        Question("select_one village", "village", ("Village", "村庄")),
        Question("geopoint", "gps", ("Location", "位置"), required=True),
        Question(
            "integer",
            "capacity",
            ("Capacity", "容量"),
            hint=(
                "Children, pupils or beds; leave blank if unknown.",
                "儿童、学生或床位数；不知道就空着。",
            ),
            constraint=". >= 0 and . <= 100000",
            constraint_message=("A whole number (0 or more).", "填 0 或更大的整数。"),
        ),
        Question("date", "opened_on", ("Date opened", "开办日期")),
        Question("text", "notes", ("Notes", "备注"), appearance="multiline"),
        PHOTO,
    ),
    choices={
        "facility_kind": FACILITY_KIND,
        "facility_status": FACILITY_STATUS,
        "village": VILLAGE_EXAMPLE,
    },
)

CONTACT = FormDefinition(
    form_id="cbpar_contact",
    title=("Contact log", "联系记录"),
    version="2026112901",
    questions=(
        Question(
            "select_one child",
            "child",
            ("Child", "儿童"),
            hint=("The child's code.", "儿童的编号。"),
            required=True,
            appearance="minimal",
        ),
        Question("select_one contact_kind", "kind", ("Kind of contact", "联系方式"), required=True),
        Question(
            "date",
            "on",
            ("Date", "日期"),
            required=True,
            default="today()",
            constraint=NOT_FUTURE,
            constraint_message=(
                "The contact date cannot be in the future.",
                "联系日期不能在今天之后。",
            ),
        ),
        Question(
            "integer",
            "minutes",
            ("Minutes", "分钟数"),
            constraint=". >= 0 and . <= 1440",
            constraint_message=("From 0 to 1440 minutes.", "填 0 到 1440 分钟。"),
        ),
        Question(
            "text",
            "with_whom",
            ("With whom", "和谁"),
            hint=(
                "Roles, not names: e.g. mother, class teacher.",
                "写身份，不写名字：比如妈妈、班主任。",
            ),
        ),
        Question(
            "text",
            "summary",
            ("Summary", "内容摘要"),
            hint=("A few lines. Seen only by the field team.", "写几句话。只有调查队能看到。"),
            appearance="multiline",
        ),
        Question("text", "issues", ("Issues flagged", "发现的问题")),
        Question("date", "follow_up_on", ("Follow up by", "回访截止日期")),
        Question("audio", "audio", ("Voice recording (optional)", "录音（可以不录）")),
        PHOTO,
    ),
    choices={"child": CHILD_EXAMPLE, "contact_kind": CONTACT_KIND},
)

FORMS: dict[str, FormDefinition] = {f.form_id: f for f in (HOUSEHOLD, FACILITY, CONTACT)}
