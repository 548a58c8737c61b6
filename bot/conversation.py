"""Between rows and the engine: load a citizen's State, and carry out the effects."""

from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update

from flows import effects as fx
from flows.state import AssessmentView, CourseOffer, Position, Profile, State
from storage.db import insert_for
from storage.models import (Answer, Assessment, Broadcast, Citizen, ConsentRecord, Contact,
                            ConversationSession, Course, CourseSignup, Evidence, Outbox, Unit)
from webhooks.contract import InboundMessage

REDACTED = "[đã xoá theo yêu cầu của công dân]"
OFFER_DAYS = timedelta(days=7)   # an older announcement is not what a bare "1" answers


def latest_assessment(session, citizen_id: int) -> Assessment | None:
    return session.scalars(select(Assessment).where(Assessment.citizen_id == citizen_id)
                           .order_by(Assessment.period.desc()).limit(1)).first()


def offers(citizen_ids, earliest: datetime, latest: datetime):
    """The course announcements that replies written between `earliest` and `latest`
    may answer, newest first (found through the outbox's citizen index): a superset for
    a batch, `newest_offer` decides."""
    return (select(Outbox.citizen_id, Course.id.label("course_id"), Course.title,
                   Outbox.sent_at, Course.starts_at)
            .join(Broadcast, Broadcast.id == Outbox.broadcast_id)
            .join(Course, Course.id == Broadcast.course_id)
            .where(Outbox.citizen_id.in_(citizen_ids), Outbox.status.in_(("sent", "delivered")),
                   Outbox.sent_at >= earliest - OFFER_DAYS, Outbox.sent_at <= latest,
                   Course.starts_at > earliest)
            .order_by(Outbox.sent_at.desc(), Outbox.id.desc()))


def newest_offer(rows, now: datetime) -> CourseOffer | None:
    """The newest announcement sent in the OFFER_DAYS before `now`, of a course that
    has not started by then."""
    return next((CourseOffer(r.course_id, r.title, r.sent_at) for r in rows
                 if now - OFFER_DAYS <= r.sent_at <= now and r.starts_at > now), None)


def load_state(session, citizen: Citizen, now: datetime, rows=None
               ) -> tuple[State, ConversationSession, Assessment | None]:
    """The citizen's State as of `now`; `rows`: their (conversation, latest assessment,
    `offers` rows) when the caller loaded them already (bot/inbound/prefetch.py)."""
    convo, latest, offered = rows if rows is not None else (
        session.scalars(select(ConversationSession)
                        .where(ConversationSession.citizen_id == citizen.id)).first(),
        latest_assessment(session, citizen.id),
        session.execute(offers([citizen.id], now, now).limit(1)).all())
    if convo is None:
        convo = ConversationSession(citizen_id=citizen.id, position={},
                                    updated_at=citizen.created_at)
        session.add(convo)
    profile = Profile(
        name=citizen.name, birth_year=citizen.birth_year,
        unit_code=citizen.unit.code if citizen.unit else None,
        target_group=citizen.target_group, phone=citizen.phone,
        phone_verified=citizen.phone_verified, consent=citizen.consent,
        opted_out=citizen.opted_out, registered=citizen.registered_at is not None)
    view = None
    row = latest
    if row is not None:
        view = AssessmentView(
            criteria_set=row.criteria_set, version=row.criteria_version, group=row.target_group,
            period=row.period, answers={a.indicator: a.option for a in row.answers},
            completed=row.status == "completed")
    state = State(Position.from_json(convo.position), profile, view, newest_offer(offered, now))
    return state, convo, row


class Effects:
    """Carries out the engine's effects (except Send, which the caller renders) on one
    citizen, inside the caller's transaction."""

    def __init__(self, session, citizen: Citizen, contact: Contact, now: datetime,
                 assessment: Assessment | None, message: InboundMessage):
        self.session, self.citizen, self.contact, self.now = session, citizen, contact, now
        self.message = message
        self.assessment = assessment   # the latest one, as load_state found it
        self.deleted = False

    def apply(self, effect) -> None:
        if not isinstance(effect, fx.Send):   # Sends become outbox rows in the caller
            getattr(self, "_" + type(effect).__name__)(effect)

    def _SaveProfile(self, effect: fx.SaveProfile) -> None:
        for field, value in effect.changes.items():
            if field == "unit_code":
                self.citizen.unit = None if value is None else self.session.scalars(
                    select(Unit).where(Unit.code == value)).one()
            elif field == "registered":
                self.citizen.registered_at = self.now if value else None
            else:
                setattr(self.citizen, field, value)

    def _RecordConsent(self, effect: fx.RecordConsent) -> None:
        if effect.kind == "data":
            self.citizen.consent = effect.granted
            wording = "registration.consent"
        else:
            self.citizen.opted_out = not effect.granted
            wording = "optin.done" if effect.granted else "optout.done"
        self.session.add(ConsentRecord(citizen_id=self.citizen.id, contact_id=self.contact.id,
                                       kind=effect.kind, granted=effect.granted,
                                       wording=wording, recorded_at=self.now))

    def _StartAssessment(self, effect: fx.StartAssessment) -> None:
        self.assessment = Assessment(
            citizen_id=self.citizen.id, period=effect.period, criteria_set=effect.criteria_set,
            criteria_version=effect.version, target_group=effect.group, status="in_progress",
            started_at=self.now, updated_at=self.now, answers=[])
        self.session.add(self.assessment)
        self.session.flush()

    def _StoreAnswer(self, effect: fx.StoreAnswer) -> None:
        assessment = self.assessment
        answer = next((a for a in assessment.answers if a.indicator == effect.indicator), None)
        if answer is None:
            answer = Answer(indicator=effect.indicator)
            assessment.answers.append(answer)
        answer.option, answer.points = effect.option, effect.points
        answer.raw_text, answer.answered_at = effect.raw_text, self.now
        assessment.updated_at = self.now
        self.session.flush()

    def _ClearAnswers(self, effect: fx.ClearAnswers) -> None:
        assessment = self.assessment
        self.session.execute(delete(Answer).where(Answer.assessment_id == assessment.id))
        self.session.expire(assessment, ["answers"])
        assessment.status, assessment.total, assessment.passed = "in_progress", None, None
        assessment.competence_points = None
        assessment.completed_at, assessment.updated_at = None, self.now

    def _CompleteAssessment(self, effect: fx.CompleteAssessment) -> None:
        assessment = self.assessment
        assessment.status, assessment.total, assessment.passed = "completed", effect.total, effect.passed
        assessment.competence_points = dict(effect.by_competence)
        assessment.completed_at = assessment.updated_at = self.now

    def _AttachEvidence(self, effect: fx.AttachEvidence) -> None:
        for item in self.message.attachments:
            self.session.add(Evidence(
                citizen_id=self.citizen.id, assessment_id=self.assessment.id,
                indicator=effect.indicator, kind=item.type or "file", url=item.url,
                name=item.name, size=item.size, thumbnail=item.thumbnail,
                provider=self.message.provider, external_id=self.message.external_id,
                received_at=self.now))

    def _RecordSignup(self, effect: fx.RecordSignup) -> None:
        """One answer per course and citizen: a later one ("0" after "1") replaces it."""
        answer = dict(coming=effect.coming, answered_at=self.now, raw_text=effect.raw_text)
        self.session.execute(
            insert_for(self.session)(CourseSignup)
            .values(course_id=effect.course_id, citizen_id=self.citizen.id, **answer)
            .on_conflict_do_update(index_elements=["course_id", "citizen_id"], set_=answer))

    def _DeleteCitizen(self, effect: fx.DeleteCitizen) -> None:
        """Decree 13/2023 deletion: the citizen, their answers and session go; texts
        already sent to their addresses are redacted; the contacts stay, detached."""
        contact_ids = select(Contact.id).where(Contact.citizen_id == self.citizen.id)
        # Texts already sent or still waiting are redacted; waiting ones are not sent.
        # (The confirmation of this deletion is queued after this, untouched.)
        self.session.execute(update(Outbox).where(or_(Outbox.contact_id.in_(contact_ids),
                                                      Outbox.citizen_id == self.citizen.id))
                             .values(text=REDACTED, sms_text=None, template_data=None,
                                     status=case((Outbox.status == "queued", "cancelled"),
                                                 else_=Outbox.status)))
        self.session.execute(update(Contact).where(Contact.citizen_id == self.citizen.id)
                             .values(citizen_id=None))
        self.session.execute(update(ConsentRecord).where(ConsentRecord.citizen_id == self.citizen.id)
                             .values(citizen_id=None))
        self.session.execute(delete(Citizen).where(Citizen.id == self.citizen.id))
        self.session.expunge_all()
        self.deleted = True
