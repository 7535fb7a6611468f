"""The authorization matrix: every route × every role (and anonymous), allow or deny.

Each route of the app must have a row here; a new route without a row fails the test.
A row: (endpoint, method) -> (path builder, roles allowed). Builders get `world`, the records
made for the walk (for now a target user), so that ids in URLs are real.
"""
from __future__ import annotations

import pytest

from app.auth.roles import BUILTIN_ROLES
from tests.conftest import Client
from tests.puspaga_flow import INTAKE as PUSPAGA_INTAKE

ANON = "anonymous"
ROLES = tuple(BUILTIN_ROLES)
SIGNED_IN = frozenset(ROLES)
EVERYONE = SIGNED_IN | {ANON}
ADMIN = frozenset({"admin"})
HEAD = frozenset({"head"})
COUNSELOR = frozenset({"counselor"})
NOBODY = frozenset()
CASE_STAFF = frozenset({"head", "staff"})  # the booked case waits for P2KLLK to prepare the room

MATRIX = {
    ("main.index", "GET"): (lambda w: "/", SIGNED_IN),
    ("main.healthz", "GET"): (lambda w: "/healthz", EVERYONE),
    ("prometheus_metrics", "GET"): (lambda w: "/metrics", EVERYONE),  # from loopback; see test_metrics.py
    ("main.set_language", "POST"): (lambda w: "/language", EVERYONE),
    ("auth.login", "GET"): (lambda w: "/login", EVERYONE),
    ("auth.login", "POST"): (lambda w: "/login", EVERYONE),
    ("auth.logout", "POST"): (lambda w: "/logout", SIGNED_IN),
    ("auth.change_password", "GET"): (lambda w: "/account/password", SIGNED_IN),
    ("auth.change_password", "POST"): (lambda w: "/account/password", SIGNED_IN),
    ("auth.forgot_password", "GET"): (lambda w: "/password/forgot", EVERYONE),
    ("auth.forgot_password", "POST"): (lambda w: "/password/forgot", EVERYONE),
    ("auth.reset_password", "GET"): (lambda w: "/password/reset/tidak-ada", EVERYONE),
    ("auth.reset_password", "POST"): (lambda w: "/password/reset/tidak-ada", EVERYONE),
    ("admin.list_users", "GET"): (lambda w: "/admin/users", ADMIN),
    ("admin.new_user", "GET"): (lambda w: "/admin/users/new", ADMIN),
    ("admin.new_user", "POST"): (lambda w: "/admin/users/new", ADMIN),
    ("admin.edit_user", "GET"): (lambda w: f"/admin/users/{w['user']}", ADMIN),
    ("admin.edit_user", "POST"): (lambda w: f"/admin/users/{w['user']}", ADMIN),
    ("admin.toggle_user", "POST"): (lambda w: f"/admin/users/{w['user']}/active", ADMIN),
    ("admin.audit", "GET"): (lambda w: "/admin/audit", frozenset({"admin", "head"})),
    ("admin.audit_export", "GET"): (lambda w: "/admin/audit.xlsx", frozenset({"admin", "head"})),
    ("sop.tasks", "GET"): (lambda w: "/tasks", SIGNED_IN),
    ("sop.list_procedures", "GET"): (lambda w: "/procedures", SIGNED_IN),
    # Only for those whose units offer it to their roles (the walk's users belong to every unit), and admins.
    ("sop.show_procedure", "GET"): (lambda w: "/procedures/pgri-konseling-karier",
                                    frozenset({"admin", "alumni", "staff", "head", "counselor"})),
    ("sop.list_cases", "GET"): (lambda w: "/cases", SIGNED_IN),
    ("sop.new_case", "GET"): (lambda w: "/cases/new/pgri-konseling-karier", frozenset({"alumni", "staff"})),
    ("sop.new_case", "POST"): (lambda w: "/cases/new/pgri-konseling-karier", frozenset({"alumni", "staff"})),
    # A case is seen by its subject, opener, assignee, those who acted or may act now (here the
    # head, whose step is active) and the heads escalated to; everybody else gets 404.
    ("sop.show_case", "GET"): (lambda w: f"/cases/{w['case']}", HEAD),
    ("sop.step_form", "GET"): (lambda w: f"/cases/{w['case']}/steps/rekomendasi", HEAD),
    ("sop.step_form", "POST"): (lambda w: f"/cases/{w['case']}/steps/rekomendasi", HEAD),
    # The case team (tests/test_confidentiality.py walks the confidential axis): an unclaimed
    # PUSPAGA case is claimed by a counselor; the head reviews, changes the team, reads the log.
    ("sop.claim_case", "POST"): (lambda w: f"/cases/{w['unclaimed']}/claim/kelengkapan", COUNSELOR),
    ("sop.open_case_review", "POST"): (lambda w: f"/cases/{w['case']}/review", HEAD),
    ("sop.add_team_member", "POST"): (lambda w: f"/cases/{w['booked_case']}/team", HEAD),
    ("sop.remove_team_member", "POST"): (lambda w: f"/cases/{w['booked_case']}/team/{w['member']}/remove", HEAD),
    ("sop.case_access_log", "GET"): (lambda w: f"/cases/{w['case']}/access", HEAD),
    ("sop.calendar_settings", "GET"): (lambda w: "/admin/calendar", ADMIN),
    ("sop.calendar_settings", "POST"): (lambda w: "/admin/calendar", ADMIN),
    ("sop.delete_closure", "POST"): (lambda w: f"/admin/calendar/{w['closure']}/delete", ADMIN),
    ("notifications.preferences", "GET"): (lambda w: "/account/notifications", SIGNED_IN),
    ("notifications.preferences", "POST"): (lambda w: "/account/notifications", SIGNED_IN),
    ("notifications.outbox", "GET"): (lambda w: "/admin/outbox", ADMIN),
    ("notifications.retry_message", "POST"): (lambda w: f"/admin/outbox/{w['message']}/retry", ADMIN),
    ("documents.issue", "POST"): (lambda w: f"/cases/{w['case']}/letters/surat_rekomendasi", HEAD),
    ("documents.download", "GET"): (lambda w: f"/letters/{w['letter']}.pdf", HEAD),
    ("documents.correct", "POST"): (lambda w: f"/letters/{w['letter']}/correct", HEAD),
    ("documents.verify", "GET"): (lambda w: f"/verify/{w['verify']}", EVERYONE),
    ("documents.list_templates", "GET"): (lambda w: "/admin/letters", ADMIN),
    ("documents.edit_template", "GET"): (lambda w: "/admin/letters/surat_tugas", ADMIN),
    ("documents.edit_template", "POST"): (lambda w: "/admin/letters/surat_tugas", ADMIN),
    ("documents.preview_pdf", "GET"): (lambda w: "/admin/letters/surat_tugas/preview.pdf", ADMIN),
    ("documents.letterhead", "GET"): (lambda w: "/admin/letterhead", ADMIN),
    ("documents.letterhead", "POST"): (lambda w: "/admin/letterhead", ADMIN),
    ("documents.issue", "GET"): (lambda w: f"/cases/{w['case']}/letters/surat_rekomendasi", HEAD),
    ("documents.correct", "GET"): (lambda w: f"/letters/{w['letter']}/correct", HEAD),
    ("documents.preview_template", "POST"): (lambda w: "/admin/letters/surat_tugas/preview", ADMIN),
    # Booking: a counselor's own records only (ids of others answer 404); a case's booking page
    # is for its client and counselor; an appointment for its two people and its case team only.
    ("booking.settings", "GET"): (lambda w: "/booking/settings", COUNSELOR),
    ("booking.add_availability", "POST"): (lambda w: "/booking/availability", COUNSELOR),
    ("booking.delete_availability", "POST"): (lambda w: f"/booking/availability/{w['availability']}/delete", NOBODY),
    ("booking.add_leave", "POST"): (lambda w: "/booking/leave", COUNSELOR),
    ("booking.delete_leave", "POST"): (lambda w: f"/booking/leave/{w['leave']}/delete", NOBODY),
    ("booking.save_rules", "POST"): (lambda w: "/booking/rules", COUNSELOR),
    ("booking.rotate_feed", "POST"): (lambda w: "/booking/feed/rotate", COUNSELOR),
    ("booking.case_booking", "GET"): (lambda w: f"/cases/{w['booked_case']}/booking", NOBODY),
    ("booking.book_slot", "POST"): (lambda w: f"/cases/{w['booked_case']}/booking", NOBODY),
    ("booking.propose_times", "POST"): (lambda w: f"/cases/{w['booked_case']}/proposals", NOBODY),
    ("booking.join_waiting_list", "POST"): (lambda w: f"/cases/{w['booked_case']}/waitlist", NOBODY),
    ("booking.my_appointments", "GET"): (lambda w: "/appointments", SIGNED_IN),
    ("booking.show_appointment", "GET"): (lambda w: f"/appointments/{w['appointment']}", NOBODY),
    ("booking.appointment_ics", "GET"): (lambda w: f"/appointments/{w['appointment']}.ics", NOBODY),
    ("booking.accept_proposal", "POST"): (lambda w: f"/appointments/{w['appointment']}/accept", NOBODY),
    ("booking.reschedule_appointment", "POST"): (lambda w: f"/appointments/{w['appointment']}/reschedule", NOBODY),
    ("booking.cancel_appointment", "POST"): (lambda w: f"/appointments/{w['appointment']}/cancel", NOBODY),
    ("booking.no_show", "POST"): (lambda w: f"/appointments/{w['appointment']}/no-show", NOBODY),
    ("booking.record_held", "POST"): (lambda w: f"/appointments/{w['appointment']}/held", NOBODY),
    ("booking.calendar_feed", "GET"): (lambda w: f"/calendar/{w['feed']}.ics", EVERYONE),
    ("reports.compliance_page", "GET"): (lambda w: "/reports/compliance", frozenset({"head", "admin"})),
    ("reports.compliance_xlsx", "GET"): (lambda w: "/reports/compliance.xlsx", frozenset({"head", "admin"})),
    # Pendaftaran mandiri: public (a signed-in person is sent home); links that no longer work
    # answer 410 to everyone. The profile and "Data saya" are every signed-in person's own.
    ("auth.register", "GET"): (lambda w: "/register", EVERYONE),
    ("auth.register", "POST"): (lambda w: "/register", EVERYONE),
    ("auth.resend_confirmation", "GET"): (lambda w: "/register/resend", EVERYONE),
    ("auth.resend_confirmation", "POST"): (lambda w: "/register/resend", EVERYONE),
    ("auth.confirm_email", "GET"): (lambda w: "/register/confirm/tidak-ada", EVERYONE),
    ("auth.confirm_email", "POST"): (lambda w: "/register/confirm/tidak-ada", EVERYONE),
    ("auth.set_first_password", "GET"): (lambda w: "/account/setup/tidak-ada", EVERYONE),
    ("auth.set_first_password", "POST"): (lambda w: "/account/setup/tidak-ada", EVERYONE),
    ("auth.profile", "GET"): (lambda w: "/account/profile", SIGNED_IN),
    ("auth.profile", "POST"): (lambda w: "/account/profile", SIGNED_IN),
    ("auth.register_client", "GET"): (lambda w: "/accounts/clients/new", frozenset({"staff"})),
    ("auth.register_client", "POST"): (lambda w: "/accounts/clients/new", frozenset({"staff"})),
    ("account.my_data_page", "GET"): (lambda w: "/account/data", SIGNED_IN),
    ("account.download_json", "GET"): (lambda w: "/account/data.json", SIGNED_IN),
    ("account.download_zip", "GET"): (lambda w: "/account/data.zip", SIGNED_IN),
    ("admin.list_units", "GET"): (lambda w: "/admin/units", ADMIN),
    ("admin.edit_unit", "GET"): (lambda w: f"/admin/units/{first_unit()}", ADMIN),
    ("admin.edit_unit", "POST"): (lambda w: f"/admin/units/{first_unit()}", ADMIN),
    ("admin.toggle_procedure", "POST"): (lambda w: f"/admin/units/{first_unit()}/procedures/pgri-konseling-karier",
                                         ADMIN),
    # Workshop registration is public (no account), the ticket is its secret address; the door
    # is for the edition's committee (none in the walk), the head and staff.
    ("workshops.register", "GET"): (lambda w: f"/workshops/{w['workshop']}/register", EVERYONE),
    ("workshops.register", "POST"): (lambda w: f"/workshops/{w['workshop']}/register", EVERYONE),
    ("workshops.show_ticket", "GET"): (lambda w: f"/workshops/tickets/{w['ticket']}", EVERYONE),
    ("workshops.cancel_ticket", "POST"): (lambda w: f"/workshops/tickets/{w['ticket']}/cancel", EVERYONE),
    ("workshops.checkin_page", "GET"): (lambda w: f"/workshops/{w['workshop']}/checkin", CASE_STAFF),
    ("workshops.scan_ticket", "POST"): (lambda w: f"/workshops/{w['workshop']}/checkin", CASE_STAFF),
    ("workshops.mark_attendance", "POST"): (
        lambda w: f"/workshops/{w['workshop']}/attendance/{w['registration']}", CASE_STAFF),
    ("workshops.add_walk_in", "POST"): (lambda w: f"/workshops/{w['workshop']}/walk-ins", CASE_STAFF),
    # Workshops: prodi for admins and heads, the roster for P2KLLK; an edition's announcement for
    # P2KLLK and that edition's committee (the walk's committee user sits on none: 404); forwarding
    # only for the programme's own kaprodi (the walk's kaprodi heads another programme: 404).
    ("workshops.list_programs", "GET"): (lambda w: "/admin/prodi", frozenset({"admin", "head"})),
    ("workshops.list_programs", "POST"): (lambda w: "/admin/prodi", frozenset({"admin", "head"})),
    ("workshops.edit_program", "GET"): (lambda w: f"/admin/prodi/{w['program']}", frozenset({"admin", "head"})),
    ("workshops.edit_program", "POST"): (lambda w: f"/admin/prodi/{w['program']}", frozenset({"admin", "head"})),
    ("workshops.roster_upload", "GET"): (lambda w: "/workshops/roster", CASE_STAFF),
    ("workshops.roster_upload", "POST"): (lambda w: "/workshops/roster", CASE_STAFF),
    ("workshops.announcements", "GET"): (lambda w: f"/workshops/{w['workshop']}/announcements", CASE_STAFF),
    ("workshops.announce_for_case", "GET"): (lambda w: f"/workshops/case/{w['workshop_case']}/announcements",
                                             CASE_STAFF),
    ("workshops.send", "POST"): (lambda w: f"/workshops/{w['workshop']}/announcements/send", CASE_STAFF),
    ("workshops.nudge_kaprodi", "POST"): (
        lambda w: f"/workshops/{w['workshop']}/announcements/{w['announcement']}/nudge", CASE_STAFF),
    ("workshops.kaprodi_home", "GET"): (lambda w: "/kaprodi", frozenset({"kaprodi"})),
    ("workshops.announcement_letter", "GET"): (
        lambda w: f"/workshops/{w['workshop']}/announcements/{w['announcement']}/letter.pdf", NOBODY),
    ("workshops.forward_announcement", "POST"): (
        lambda w: f"/workshops/{w['workshop']}/announcements/{w['announcement']}/forward", NOBODY),
    # Workshop editions: P2KLLK (head, staff of its unit) and the edition's committee (the walk's
    # committee users are not on it: 404, like anyone who may not see it); the rectorate views and,
    # while its step is active, decides. tests/test_workshop_edition.py walks the members.
    ("workshops.list_workshops", "GET"): (lambda w: "/workshops", frozenset({"head", "staff", "committee", "rectorate"})),
    ("workshops.new_workshop", "GET"): (lambda w: "/workshops/new", CASE_STAFF),
    ("workshops.new_workshop", "POST"): (lambda w: "/workshops/new", CASE_STAFF),
    ("workshops.show", "GET"): (lambda w: f"/workshops/{w['workshop']}", frozenset({"head", "staff", "rectorate"})),
    ("workshops.add_member", "POST"): (lambda w: f"/workshops/{w['workshop']}/committee", CASE_STAFF),
    ("workshops.remove_member", "POST"): (lambda w: f"/workshops/{w['workshop']}/committee/{w['committee_member']}/remove",
                                          CASE_STAFF),
    ("workshops.propose", "POST"): (lambda w: f"/workshops/{w['workshop']}/proposal", CASE_STAFF),
    ("workshops.decide", "POST"): (lambda w: f"/workshops/{w['workshop']}/decision", frozenset({"rectorate"})),
    ("workshops.schedule_meeting", "POST"): (lambda w: f"/workshops/{w['workshop']}/meeting", CASE_STAFF),
    ("workshops.record_outcome", "POST"): (lambda w: f"/workshops/{w['workshop']}/outcome", CASE_STAFF),
    ("workshops.add_speaker", "POST"): (lambda w: f"/workshops/{w['workshop']}/speakers", CASE_STAFF),
    ("workshops.confirm_speaker", "POST"): (lambda w: f"/workshops/{w['workshop']}/speakers/{w['speaker']}/confirm",
                                            CASE_STAFF),
    ("workshops.add_item", "POST"): (lambda w: f"/workshops/{w['workshop']}/checklist", CASE_STAFF),
    ("workshops.assign_item", "POST"): (lambda w: f"/workshops/{w['workshop']}/checklist/{w['item']}/assign",
                                        CASE_STAFF),
    ("workshops.tick_item", "POST"): (lambda w: f"/workshops/{w['workshop']}/checklist/{w['item']}/done", CASE_STAFF),
    ("workshops.finish_preparation", "POST"): (lambda w: f"/workshops/{w['workshop']}/preparation", CASE_STAFF),
    # The workshop's report: its committee (the walk's committee user has no seat on it) and
    # P2KLLK; the follow-up is P2KLLK's. The evaluation and certificate go by the attendee's ticket.
    ("workshops.show_report", "GET"): (lambda w: f"/workshops/{w['report_workshop']}/report", CASE_STAFF),
    ("workshops.save_report_text", "POST"): (lambda w: f"/workshops/{w['report_workshop']}/report", CASE_STAFF),
    ("workshops.submit_report_letter", "POST"): (lambda w: f"/workshops/{w['report_workshop']}/report/submit", CASE_STAFF),
    ("workshops.report_xlsx", "GET"): (lambda w: f"/workshops/{w['report_workshop']}/report.xlsx", CASE_STAFF),
    ("workshops.remind_evaluations", "POST"): (lambda w: f"/workshops/{w['report_workshop']}/evaluations/remind",
                                               CASE_STAFF),
    ("workshops.create_follow_ups", "POST"): (lambda w: f"/workshops/{w['report_workshop']}/follow-up", CASE_STAFF),
    ("workshops.evaluate", "GET"): (lambda w: f"/workshops/evaluate/{w['attendee_ticket']}", EVERYONE),
    ("workshops.evaluate", "POST"): (lambda w: f"/workshops/evaluate/{w['attendee_ticket']}", EVERYONE),
    ("workshops.certificate", "GET"): (lambda w: f"/workshops/evaluate/{w['evaluated_ticket']}/certificate.pdf",
                                       EVERYONE),
    # -- referrals (app/referrals): an advisor's own referrals (another advisor's is 404, so the
    # walk's fresh advisor sees none); informing the student, the advisor and the desk are the
    # unit staff's; the log book is its counseling staff's; a step screen shows to its actor and
    # the unit's head, and is posted by its actor only (the walk's case waits for staff).
    ("referrals.my_referrals", "GET"): (lambda w: "/referrals", frozenset({"advisor"})),
    ("referrals.new_referral", "GET"): (lambda w: "/referrals/new", frozenset({"advisor"})),
    ("referrals.new_referral", "POST"): (lambda w: "/referrals/new", frozenset({"advisor"})),
    ("referrals.show_referral", "GET"): (lambda w: f"/referrals/{w['referral']}", NOBODY),
    ("referrals.inform", "POST"): (lambda w: f"/referrals/case/{w['referral_case']}/inform", CASE_STAFF),
    ("referrals.advisor_settings", "GET"): (lambda w: "/referrals/advisors", CASE_STAFF),
    ("referrals.advisor_settings", "POST"): (lambda w: "/referrals/advisors", CASE_STAFF),
    ("referrals.desk", "GET"): (lambda w: "/counseling/desk", CASE_STAFF),
    ("referrals.desk", "POST"): (lambda w: "/counseling/desk", CASE_STAFF),
    ("referrals.logbook", "GET"): (lambda w: "/logbook", frozenset({"staff", "counselor", "head"})),
    ("referrals.logbook_export", "GET"): (lambda w: "/logbook.xlsx", frozenset({"staff", "counselor", "head"})),
    ("referrals.edit_line", "GET"): (lambda w: f"/logbook/{w['logbook_line']}", frozenset({"staff", "counselor", "head"})),
    ("referrals.edit_line", "POST"): (lambda w: f"/logbook/{w['logbook_line']}", frozenset({"staff", "counselor", "head"})),
    ("referrals.logbook_step", "GET"): (lambda w: f"/cases/{w['logbook_case']}/logbook", CASE_STAFF),
    ("referrals.logbook_step", "POST"): (lambda w: f"/cases/{w['logbook_case']}/logbook", frozenset({"staff"})),
    ("referrals.external_step", "GET"): (lambda w: f"/cases/{w['external_case']}/external", CASE_STAFF),
    ("referrals.external_step", "POST"): (lambda w: f"/cases/{w['external_case']}/external", frozenset({"staff"})),
    ("referrals.status_step", "GET"): (lambda w: f"/cases/{w['status_case']}/student-status", CASE_STAFF),
    ("referrals.status_step", "POST"): (lambda w: f"/cases/{w['status_case']}/student-status", frozenset({"staff"})),
    # Dispositions (IPDN therapy): the lembar disposisi of the case's active disposisi step is for
    # its actor (the kepala unit here), as is the report that the last disposition was carried out;
    # everyone else gets 404 (the case is not theirs to see) — tests/test_ipdn_http.py walks the people.
    ("dispositions.give", "GET"): (lambda w: f"/cases/{ipdn(w)['therapy_case']}/disposisi", HEAD),
    ("dispositions.give", "POST"): (lambda w: f"/cases/{ipdn(w)['therapy_case']}/disposisi", HEAD),
    ("dispositions.carry", "GET"): (lambda w: f"/cases/{ipdn(w, 'laksana_disposisi')['therapy_case']}/disposisi/laksana",
                                    HEAD),
    ("dispositions.carry", "POST"): (lambda w: f"/cases/{ipdn(w, 'laksana_disposisi')['therapy_case']}/disposisi/laksana",
                                     HEAD),
    # -- online counseling (app/online): the wizard is its student's own (others 404); the conversation
    # of an unclaimed request is for a counselor of the unit who may take it (the head sees the case
    # but not the conversation: 403); the rota is the head's. tests/test_online_web.py walks the rest.
    ("online.start", "GET"): (lambda w: "/online/unpam-konseling-online/start", frozenset({"student"})),
    ("online.start", "POST"): (lambda w: "/online/unpam-konseling-online/start", frozenset({"student"})),
    ("online.wizard", "GET"): (lambda w: f"/online/cases/{w['online_wizard']}/wizard", NOBODY),
    ("online.wizard", "POST"): (lambda w: f"/online/cases/{w['online_wizard']}/wizard", NOBODY),
    ("online.show_thread", "GET"): (lambda w: f"/online/cases/{w['online_case']}", COUNSELOR),
    ("online.post", "POST"): (lambda w: f"/online/cases/{w['online_case']}/messages", COUNSELOR),
    ("online.finish", "POST"): (lambda w: f"/online/cases/{w['online_case']}/finish", COUNSELOR),
    ("online.propose", "POST"): (lambda w: f"/online/cases/{w['online_case']}/session", COUNSELOR),
    ("online.rota", "GET"): (lambda w: "/online/rota", HEAD),
    ("online.rota", "POST"): (lambda w: "/online/rota", HEAD),
    ("online.delete_shift", "POST"): (lambda w: f"/online/rota/{w['shift']}/delete", HEAD),
    # PUSPAGA case files (app/casefiles): the walk's case waits at the counselor's completeness
    # check, unclaimed: the head (ekspos kasus) and any counselor of the unit see its file, consent
    # and assessment pages; only a counselor may complete the step. Uploads go by the client, the
    # unit's staff who took the request and the team; files are opened by the team and their
    # uploader only (nobody in the walk: 404). The unit's settings are its head's (and admins');
    # the monthly client report (no names) its head's and staff's.
    ("casefiles.units", "GET"): (lambda w: "/casefiles", SIGNED_IN),  # lists only the user's own units
    ("casefiles.case_file", "GET"): (lambda w: f"/cases/{w['puspaga_case']}/file", frozenset({"head", "counselor"})),
    ("casefiles.case_file", "POST"): (lambda w: f"/cases/{w['puspaga_case']}/file", COUNSELOR),
    ("casefiles.upload", "POST"): (lambda w: f"/cases/{w['puspaga_case']}/file/upload", NOBODY),
    ("casefiles.download", "GET"): (lambda w: f"/cases/{w['puspaga_case']}/file/{w['puspaga_upload']}", NOBODY),
    ("casefiles.consent", "GET"): (lambda w: f"/cases/{w['puspaga_case']}/consent", frozenset({"head", "counselor"})),
    ("casefiles.consent", "POST"): (lambda w: f"/cases/{w['puspaga_case']}/consent", NOBODY),
    ("casefiles.withdraw", "POST"): (lambda w: f"/cases/{w['puspaga_case']}/consent/withdraw", NOBODY),
    ("casefiles.assessment", "GET"): (lambda w: f"/cases/{w['puspaga_case']}/assessment",
                                      frozenset({"head", "counselor"})),
    ("casefiles.assessment", "POST"): (lambda w: f"/cases/{w['puspaga_case']}/assessment", NOBODY),
    ("casefiles.unit_settings", "GET"): (lambda w: f"/units/{w['puspaga_unit']}/casefiles", frozenset({"admin", "head"})),
    ("casefiles.save_documents", "POST"): (lambda w: f"/units/{w['puspaga_unit']}/casefiles/documents",
                                           frozenset({"admin", "head"})),
    ("casefiles.save_categories", "POST"): (lambda w: f"/units/{w['puspaga_unit']}/casefiles/categories",
                                            frozenset({"admin", "head"})),
    ("casefiles.save_assessment_sheet", "POST"): (lambda w: f"/units/{w['puspaga_unit']}/casefiles/sheet",
                                                  frozenset({"admin", "head"})),
    ("casefiles.client_report", "GET"): (lambda w: f"/units/{w['puspaga_unit']}/client-report",
                                         frozenset({"admin", "head", "staff"})),
    ("casefiles.client_report_pdf", "GET"): (lambda w: f"/units/{w['puspaga_unit']}/client-report.pdf",
                                             frozenset({"admin", "head", "staff"})),
    ("casefiles.client_report_xlsx", "GET"): (lambda w: f"/units/{w['puspaga_unit']}/client-report.xlsx",
                                              frozenset({"admin", "head", "staff"})),
}


def ipdn(world: dict, upto: str = "disposisi_kepala") -> dict:
    from tests.test_ipdn_dispositions import lazy_therapy_world

    return lazy_therapy_world(world, upto)


def first_unit() -> int:
    from app.extensions import db
    from app.org.models import Unit

    return db.session.scalar(db.select(Unit.id).order_by(Unit.id).limit(1))

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def make_world(make_user) -> dict:
    """The records the walk needs: a user, a case (opened by an alumnus), a closure, a message."""
    from datetime import date

    from app.extensions import db
    from app.notifications.models import Channel, OutboxMessage, OutboxStatus
    from app.sop.models import Closure
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.org.services import current_institution

    from app.documents.services import issue_letter
    from app.sop.access import assign
    from app.sop.services import complete_step

    alumnus, staff, head = make_user("alumni", name="Alumni Pemohon"), make_user("staff"), make_user("head")
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
        "nim": "1901", "prodi": "Pendidikan Matematika", "phone": "0812", "question": "Rahasia", "mode": "online"})
    complete_step(case, "izin_tu", staff, {})
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"})
    assign(case, make_user("counselor", name="Konselor Kasus"), "counselor", head)  # the letter's addressee
    letter = issue_letter("surat_rekomendasi", head, head, case=case)
    closure = Closure(institution_id=current_institution().id, day=date(2031, 1, 2), reason="Tes")
    message = OutboxMessage(key="tes", channel=Channel.EMAIL, recipient="a@test.id", body="x",
                            status=OutboxStatus.FAILED)
    db.session.add_all([closure, message])
    db.session.commit()
    client = make_user("client", name="Klien Puspaga")
    unclaimed = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
                          subject=client)
    complete_step(unclaimed, "permohonan", staff, PUSPAGA_INTAKE)
    db.session.commit()
    world = {"user": make_user("student", name="Sasaran").id, "case": case.id, "closure": closure.id,
             "message": message.id, "letter": letter.id, "verify": letter.verify_code, "unclaimed": unclaimed.id}
    return (world | booking_world(make_user, staff, head) | workshop_world(make_user, head) | report_world(head)
            | referral_world(make_user, staff) | online_world(make_user, head) | puspaga_world(make_user, staff))


def referral_world(make_user, staff) -> dict:
    """Advisees of one advisor: one referral waiting for staff, one at the log book step, one at
    the surat rujukan; a student's own request at the status check; a line of the log book."""
    from datetime import datetime, timezone

    from app.extensions import db
    from app.referrals.desk import open_at_desk
    from app.referrals.models import LogbookEntry
    from app.referrals.services import refer_student
    from app.sop.services import skip_to
    from app.workshops.roster import import_roster, save_program

    advisor, counselor = make_user("advisor", email="pa@test.id"), make_user("counselor", name="Konselor BKA")
    save_program(None, "PTI", "Pendidikan TI", None, None)
    db.session.flush()
    import_roster(("NIM;Nama;Prodi;Semester;E-mail;Dosen PA\n" + "".join(
        f"21990000{n};Mahasiswa {n};PTI;3;mhs{n}@test.id;pa@test.id\n" for n in range(4))).encode(), "r.csv")
    from app.workshops.models import RosterStudent

    ids = [r.id for r in db.session.scalars(db.select(RosterStudent).where(RosterStudent.program.has(code="PTI"))
                                            .order_by(RosterStudent.nim))]
    reason = "Sering tidak hadir dan nilai turun; perlu konseling."
    waiting, at_log, at_letter = (refer_student(advisor, i, reason) for i in ids[:3])
    skip_to(at_log.case, "log_book")
    skip_to(at_letter.case, "surat_rujukan")
    own = open_at_desk(staff, "219900003", "Butuh konseling.")
    line = LogbookEntry(unit_id=at_log.case.unit_id, case_id=at_log.case_id, student_name="Mahasiswa 1",
                        service_kind="Konseling", counselor_id=counselor.id, served_at=datetime.now(timezone.utc),
                        duration_minutes=30, outcome="Selesai", status="terlaksana", created_by_id=staff.id)
    db.session.add(line)
    db.session.commit()
    return {"referral": waiting.id, "referral_case": waiting.case_id, "logbook_case": at_log.case_id,
            "external_case": at_letter.case_id, "status_case": own.id, "logbook_line": line.id}


def online_world(make_user, head) -> dict:
    """An e-konseling request acknowledged and waiting for a counselor, one still in the wizard,
    and a shift of the duty rota."""
    from datetime import time

    from app.extensions import db
    from tests.test_online_web import acknowledged, in_wizard

    from app.online.rota import add_shift

    shift = add_shift(head, first_unit_with("DKT"), make_user("counselor", name="Konselor Piket Dunia").id, 6,
                      time(20), time(0))
    db.session.commit()
    return {"online_case": acknowledged(make_user("student", name="Mahasiswa Online")).id,
            "online_wizard": in_wizard(make_user("student", name="Mahasiswa Wizard")).id, "shift": shift.id}


def first_unit_with(code: str) -> int:
    from app.extensions import db
    from app.org.models import Unit

    return db.session.scalar(db.select(Unit.id).where(Unit.code == code))


def puspaga_world(make_user, staff) -> dict:
    """A PUSPAGA case of a configured unit, its request taken and one document uploaded; its
    completeness check waits for a counselor."""
    from app.extensions import db
    from app.casefiles.uploads import store_upload
    from tests.puspaga_flow import configure_unit, open_puspaga, png_bytes

    unit = configure_unit()
    case = open_puspaga(staff, make_user("client", name="Klien Berkas"))
    upload = store_upload(case, staff, "ktp.png", png_bytes(), None)
    db.session.commit()
    return {"puspaga_case": case.id, "puspaga_upload": upload.id, "puspaga_unit": unit.id}


def workshop_world(make_user, head) -> dict:
    """An edition (its case opened by create_workshop) whose surat tugas waits for the rectorate,
    with a committee member, a speaker and the checklist; open for registration, with one
    registration (its ticket); a prodi with its kaprodi and the announcement to it."""
    from datetime import timedelta

    from app.database import utcnow
    from app.extensions import db
    from app.workshops import editions
    from app.workshops.models import Announcement, StudyProgram
    from app.workshops.registrations import Applicant, register

    workshop = editions.create_workshop("Workshop Minat Bakat", utcnow() + timedelta(days=30), 50, None, head)
    member = editions.add_member(workshop, make_user("committee", name="Panitia Dunia"), "ketua",
                                 editions.DIVISIONS[0], head)
    speaker = editions.add_speaker(workshop, "Narasumber Dunia", None, None, None, False)
    editions.propose_assignment(workshop, head)
    workshop.registration_open = True
    program = StudyProgram(code="PMAT", name="Pendidikan Matematika", kaprodi_id=make_user("kaprodi").id)
    db.session.add(program)
    db.session.flush()
    announcement = Announcement(workshop_id=workshop.id, program_id=program.id)
    db.session.add(announcement)
    registration = register(workshop, Applicant(nim="2301999", name="Peserta Dunia", program_code=None, semester=3,
                                                email="peserta@test.id"))
    db.session.commit()
    return {"program": program.id, "workshop": workshop.id, "workshop_case": workshop.case_id,
            "announcement": announcement.id, "ticket": registration.ticket, "registration": registration.id,
            "committee_member": member.id, "speaker": speaker.id,
            "item": editions.workshop_checklist(workshop)[0].id}


def report_world(head) -> dict:
    """An edition that took place, with an attendee who has not answered and one who has."""
    from app.extensions import db
    from tests.test_workshop_report import evaluate, make_workshop, program, register

    workshop, _head = make_workshop(None, head=head)
    prodi = program("PBIO", "Pendidikan Biologi")
    waiting = register(workshop, "2401", prodi, 3, attended=True)
    answered = register(workshop, "2402", prodi, 3, attended=True)
    evaluate(answered)
    db.session.commit()
    return {"report_workshop": workshop.id, "attendee_ticket": waiting.ticket, "evaluated_ticket": answered.ticket}


def booking_world(make_user, staff, head) -> dict:
    """A counselor with availability and leave, and a booked career case of another alumnus."""
    from datetime import date, time, timedelta

    from app.booking.models import Availability, AvailabilityException, Mode
    from app.booking.services import book, free_slots, profile_for
    from app.extensions import db
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case

    counselor, alumnus = make_user("counselor", name="Konselor Dunia"), make_user("alumni", name="Alumni Dunia")
    for weekday in range(7):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(0),
                                    end_time=time(23), mode=Mode.IN_PERSON, room="R1"))
    leave = AvailabilityException(counselor_id=counselor.id, day=date(2031, 1, 3), reason="Cuti")
    db.session.add(leave)
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
        "nim": "1", "prodi": "P", "phone": "0812", "question": "Q", "mode": "tatap muka"})
    complete_step(case, "izin_tu", staff, {})
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"})
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)})
    slot = free_slots(counselor, date.today() + timedelta(days=2), 7)[0]
    appointment = book(case, alumnus, slot.start)
    db.session.commit()
    window = db.session.scalar(db.select(Availability.id).where(Availability.counselor_id == counselor.id).limit(1))
    return {"availability": window, "leave": leave.id, "booked_case": case.id, "appointment": appointment.id,
            "feed": profile_for(counselor).feed_token, "member": case.team()[0].id}


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    routes = app_routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes missing from the authorization matrix"
    assert sorted(MATRIX.keys() - routes) == [], "rows for routes that no longer exist"


def _verdict(response) -> str:
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    return "allow"


@pytest.fixture(scope="module")
def walk(_app, shared_rollback):
    """The world and a signed-in session per role, made once for the module; each route's test
    runs in a savepoint inside it, so what one route's POST changes never reaches the next."""
    from tests.conftest import new_user

    world = make_world(new_user)
    for upto in ("disposisi_kepala", "laksana_disposisi"):  # made here, so that no test's rollback loses them
        ipdn(world, upto)
    sessions = {ANON: None}
    for who in ROLES:
        client = _app.test_client()
        user = new_user(who)
        assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
        sessions[who] = (client.get_cookie(_app.config["SESSION_COOKIE_NAME"]).value, client.csrf_token())
    return world, sessions


def signed_in(app, session) -> Client:
    """A new client carrying a session made by `walk` (a route may log its client out)."""
    client = app.test_client()
    if session is not None:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], session[0])
        client._token = session[1]
    return client


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_allows_exactly_its_roles(walk, app, route):
    build, allowed = MATRIX[route]
    world, sessions = walk
    wrong = []
    for who in (ANON, *ROLES):
        client = signed_in(app, sessions[who])
        path = build(world)
        response = client.get(path) if route[1] == "GET" else client.submit(path, {})
        verdict = _verdict(response)
        expected = "allow" if who in allowed else ("login" if who == ANON else "deny")
        if verdict != expected:
            wrong.append(f"{who}: expected {expected}, got {verdict} ({response.status_code})")
    assert wrong == []


def test_every_page_renders_in_english_too(walk, app):
    """Each GET route, for a role allowed on it, answers without a server error in English."""
    world, sessions = walk
    clients = {}
    failures = []
    for (endpoint, method), (build, allowed) in sorted(MATRIX.items()):
        if method != "GET" or not allowed:
            continue
        role = sorted(allowed - {ANON})[0] if allowed - {ANON} else ANON
        if role not in clients:
            client = signed_in(app, sessions[role])
            client.submit("/language", {"lang": "en"})
            clients[role] = client
        response = clients[role].get(build(world))
        if response.status_code >= 500:
            failures.append(f"{endpoint} as {role}: {response.status_code}")
    assert failures == []
