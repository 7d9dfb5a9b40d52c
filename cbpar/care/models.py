"""Children (pseudonymous, field roles only) and the contact log kept with each child."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.care.rollup import ServiceReachMonth  # noqa: F401  (its table, kept by triggers)
from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex, Versioned, str_enum
from cbpar.enums import LabelledEnum
from cbpar.mapping.models import Caregiver, MigrantParents

if TYPE_CHECKING:
    from cbpar.auth.models import User
    from cbpar.mapping.models import Household
    from cbpar.projects.models import Project

# From this age a child's own assent is asked for, besides the guardian's consent.
ASSENT_AGE = 8


class ChildSex(LabelledEnum):
    GIRL = "girl", _l("Girl")
    BOY = "boy", _l("Boy")


class HomeVisits(LabelledEnum):
    """How often the parents who work away come home."""

    UNKNOWN = "unknown", _l("Not known / not asked")
    WEEKLY = "weekly", _l("Every week")
    MONTHLY = "monthly", _l("Every month")
    FEW_TIMES_A_YEAR = "few_times_a_year", _l("A few times a year")
    SPRING_FESTIVAL = "spring_festival", _l("Once a year, at the Spring Festival")
    RARELY = "rarely", _l("Less than once a year")
    NOT_AWAY = "not_away", _l("Parents do not work away")


class ContactKind(LabelledEnum):
    VIDEO_CALL = "video_call", _l("Video call with a parent")
    PHONE_CALL = "phone_call", _l("Phone call with a parent")
    HOME_VISIT = "home_visit", _l("Home visit")
    TEACHER_VISIT = "teacher_visit", _l("Class-teacher visit")
    TALK = "talk", lazy_pgettext("contact kind", "Heart-to-heart talk")


class Child(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    """A child of a mapped household, known by a code; the name (optional) only for sessions."""

    __tablename__ = "child"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        Index("ix_child_household_id_number", "household_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    number: Mapped[int]  # per household; the code is the household's code and this number
    code: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int]
    birth_month: Mapped[int | None]
    sex: Mapped[ChildSex] = mapped_column(str_enum(ChildSex))
    school: Mapped[str] = mapped_column(String(200), default="")
    grade: Mapped[str] = mapped_column(String(40), default="")
    parents_away: Mapped[MigrantParents] = mapped_column(str_enum(MigrantParents))
    away_since: Mapped[date | None]
    home_visits: Mapped[HomeVisits] = mapped_column(
        str_enum(HomeVisits), default=HomeVisits.UNKNOWN
    )
    caregiver: Mapped[Caregiver] = mapped_column(str_enum(Caregiver))
    # Sensitive: shown to field roles and printed only on attendance sheets.
    session_name: Mapped[str] = mapped_column(String(80), default="")
    consent_on: Mapped[date | None]
    consent_given_by: Mapped[str] = mapped_column(String(120), default="")
    assent_on: Mapped[date | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    household: Mapped[Household] = relationship()
    project: Mapped[Project] = relationship()

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def label(self) -> str:
        return self.code

    def age_on(self, day: date) -> int:
        """Completed years on `day` (the birth month taken as its first day when known)."""
        years = day.year - self.birth_year
        if self.birth_month is not None and day.month < self.birth_month:
            years -= 1
        return max(years, 0)


class ContactLog(ProjectScopedNoIndex, CreatedMixin, Base):
    """One contact with or about a child: a call with a parent, a visit, a talk."""

    __tablename__ = "contact_log"
    __table_args__ = (
        Index("ix_contact_log_child_id_kind_on", "child_id", "kind", "on"),
        Index("ix_contact_log_project_id_on", "project_id", "on", "child_id"),
        Index("ix_contact_log_open_follow_ups", "project_id", "follow_up_done_on", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    on: Mapped[date]
    minutes: Mapped[int | None]
    with_whom: Mapped[str] = mapped_column(String(120), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")  # sensitive, plain text
    issues: Mapped[str] = mapped_column(String(300), default="")
    follow_up_on: Mapped[date | None]
    follow_up_done_on: Mapped[date | None]
    # Where the contact took place, when the phone's location was used (field app).
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    location_accuracy_m: Mapped[float | None]

    child: Mapped[Child] = relationship()
    by: Mapped[User | None] = relationship()


# --- programmes, enrolment, sessions ---------------------------------------------------------


class ProgrammeKind(LabelledEnum):
    AFTER_SCHOOL = "after_school", _l("After-school class")
    PARENTING = "parenting", _l("Parenting-education group")
    PEER_SUPPORT = "peer_support", _l("Peer support group")
    CASEWORK = "casework", _l("Casework")
    FAMILY_CALLS = "family_calls", _l("Remote family calls")
    HOME_VISITS = "home_visits", _l("Home visits")
    ACTIVITY = "activity", _l("Activity or outing")


class TargetKind(LabelledEnum):
    """What a contact target counts: which kinds of contact meet it."""

    FAMILY_CALL = "family_call", _l("A call with a parent (video or phone)")
    HOME_VISIT = "home_visit", _l("A home visit")
    TEACHER_VISIT = "teacher_visit", _l("A class-teacher visit")
    TALK = "talk", _l("A heart-to-heart talk")


TARGET_CONTACTS: dict[TargetKind, tuple[ContactKind, ...]] = {
    TargetKind.FAMILY_CALL: (ContactKind.VIDEO_CALL, ContactKind.PHONE_CALL),
    TargetKind.HOME_VISIT: (ContactKind.HOME_VISIT,),
    TargetKind.TEACHER_VISIT: (ContactKind.TEACHER_VISIT,),
    TargetKind.TALK: (ContactKind.TALK,),
}


class AttendanceStatus(LabelledEnum):
    PRESENT = "present", _l("Present")
    ABSENT = "absent", _l("Absent")
    EXCUSED = "excused", _l("Excused")


class Programme(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    """A service the team runs for children: a class, a group, casework, calls, visits."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProgrammeKind] = mapped_column(str_enum(ProgrammeKind))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="SET NULL"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"))
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiative.id", ondelete="SET NULL")
    )
    schedule: Mapped[str] = mapped_column(String(200), default="")  # e.g. weekdays at 16:30
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    targets: Mapped[list[ContactTarget]] = relationship(
        order_by="ContactTarget.id", cascade="all, delete-orphan"
    )
    project: Mapped[Project] = relationship()


class ContactTarget(Base):
    """Each enrolled child: a contact of this kind at least every N days."""

    __tablename__ = "contact_target"
    __table_args__ = (UniqueConstraint("programme_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    every_days: Mapped[int]


class Enrolment(ProjectScopedNoIndex, CreatedMixin, Base):
    __tablename__ = "enrolment"
    __table_args__ = (
        Index("ix_enrolment_project_id_programme_id", "project_id", "programme_id"),
        Index("ix_enrolment_child_id", "child_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]

    child: Mapped[Child] = relationship()

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


class ProgrammeSession(ProjectScopedNoIndex, CreatedMixin, Base):
    """One session of a programme, with who attended."""

    __tablename__ = "programme_session"
    __table_args__ = (
        UniqueConstraint("project_id", "sheet_number"),
        Index("ix_programme_session_project_id_starts_at", "project_id", "starts_at"),
        Index("ix_programme_session_programme_id", "programme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    facilitators: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # sensitive, field roles only
    materials: Mapped[str] = mapped_column(String(300), default="")
    guardians: Mapped[int] = mapped_column(default=0)  # guardians who came
    sheet_number: Mapped[int | None]  # the paper attendance sheet it was entered from
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship()
    attendance: Mapped[list[SessionAttendance]] = relationship(
        cascade="all, delete-orphan", order_by="SessionAttendance.id"
    )
    volunteers: Mapped[list[SessionVolunteer]] = relationship(
        cascade="all, delete-orphan", order_by="SessionVolunteer.id"
    )


class SessionAttendance(Base):
    __tablename__ = "session_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "child_id"),
        Index("ix_session_attendance_child_id", "child_id"),
        # The present children of a period's sessions, read from the index alone (0025).
        Index("ix_session_attendance_session_id_status", "session_id", "status", "child_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus))

    child: Mapped[Child] = relationship()


# --- volunteers and their diaries ------------------------------------------------------------


class VolunteerKind(LabelledEnum):
    VOLUNTEER_MOTHER = "volunteer_mother", _l("Volunteer mother")
    STUDENT_TUTOR = "student_tutor", _l("Student tutor")
    TEACHER = "teacher", _l("Teacher")
    OTHER = "other", lazy_pgettext("volunteer kind", "Other")


class Volunteer(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    """Someone who gives time, with or without an account (volunteer mothers rarely have one)."""

    __tablename__ = "volunteer"
    __table_args__ = (UniqueConstraint("project_id", "display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[VolunteerKind] = mapped_column(str_enum(VolunteerKind))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    active_from: Mapped[date | None]
    active_to: Mapped[date | None]

    trainings: Mapped[list[VolunteerTraining]] = relationship(
        order_by="VolunteerTraining.on", cascade="all, delete-orphan"
    )
    project: Mapped[Project] = relationship()


class VolunteerTraining(Base):
    __tablename__ = "volunteer_training"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    course: Mapped[str] = mapped_column(String(200))
    on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))


class SessionVolunteer(Base):
    """A volunteer who helped at a session, with their hours."""

    __tablename__ = "session_volunteer"
    __table_args__ = (
        UniqueConstraint("session_id", "volunteer_id"),
        Index("ix_session_volunteer_volunteer_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_session.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))

    volunteer: Mapped[Volunteer] = relationship()


class DiaryEntry(ProjectScopedNoIndex, CreatedMixin, Base):
    """A volunteer's service diary: services given, hours, and a reflection (a memo)."""

    __tablename__ = "diary_entry"
    __table_args__ = (
        Index("ix_diary_entry_project_id_on", "project_id", "on"),
        Index("ix_diary_entry_volunteer_id_on", "volunteer_id", "on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"))
    on: Mapped[date]
    services: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_session.id", ondelete="SET NULL")
    )
    memo_id: Mapped[int | None] = mapped_column(ForeignKey("memo.id", ondelete="SET NULL"))

    volunteer: Mapped[Volunteer] = relationship()
