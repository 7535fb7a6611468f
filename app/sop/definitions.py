"""Procedure definitions: YAML files read, validated (every error with its place) and turned
into plain objects the engine runs. No database here."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.auth.roles import BUILTIN_ROLES
from app.sop.durations import Duration, DurationError, parse_duration

BUILTIN_DIR = Path(__file__).resolve().parent / "procedures"
FIELD_TYPES = {"text", "textarea", "date", "datetime", "choice", "boolean", "number", "user", "email", "url"}
SPECIAL_ACTORS = {"subject", "assignee"}
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE = re.compile(r"^[a-z][a-z0-9-]{1,59}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,29}$")


class DefinitionError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str = "text"
    required: bool = True
    options: tuple[str, ...] = ()
    role: str | None = None
    confidential: bool = False
    max: int = 2000
    help: str | None = None
    # Who besides the case team, the subject (for the request form) and the author may read a
    # confidential value: roles the source says receive it, or "subject" for what is shared back.
    share_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    roles: tuple[str, ...]
    output: str | None = None
    duration: Duration | None = None
    start: str = "previous"  # previous | start | event:<field key>
    inputs: tuple[Field, ...] = ()
    when: dict | None = None
    assigns: str | None = None
    document: str | None = None
    # The document is issued only on these outcomes of the step's decision (empty: whenever done).
    document_on: tuple[str, ...] = ()
    # Who receives the issued letter by e-mail: "assignee", "subject", "team", "role:<role>",
    # "field:<user input>".
    document_to: tuple[str, ...] = ()
    note: str | None = None
    # What the person served reads in "Tugas saya" when the step waits for them, where the SOP's
    # title speaks of them ("Konselor menghubungi pemohon…" -> "Pilih jadwal sesi…").
    subject_title: str | None = None
    # A decision: the choice input whose value picks what happens next, by `outcomes`
    # (option -> "next" | "close" | "back:<step>" | "skip:<step>"; unnamed options go on).
    decision: str | None = None
    outcomes: dict = field(default_factory=dict, compare=False)
    # The screen of another domain that carries the step out, with its options, e.g.
    # {name: booking, time: agreed_at, place: place, summary: "Konseling karier"}.
    screen: dict | None = field(default=None, compare=False)
    # A step done several times in a row, each pass with its own deadline and report (supervision
    # over three days, a progress report each day): how many passes, and how each is named.
    repeat: int = 1
    repeat_label: str = "ke-{n} dari {times}"
    # For a step that starts at an event (`from: event:<field>`): a reminder this long before it.
    remind_before: Duration | None = None

    def pass_title(self, n: int) -> str:
        """The title of pass `n` of a repeated step (the plain title when it runs once)."""
        if self.repeat <= 1:
            return self.title
        return f"{self.title} ({self.repeat_label.format(n=n, times=self.repeat)})"

    @property
    def anchor_field(self) -> str | None:
        return self.start.split(":", 1)[1] if self.start.startswith("event:") else None

    def outcome(self, values: dict) -> tuple[str, str | None]:
        """What the step's decision says happens next: ("next" | "close" | "back" | "skip", target)."""
        action = self.outcomes.get(values.get(self.decision), "next") if self.decision else "next"
        kind, _sep, target = action.partition(":")
        return kind, target or None

    def issues_document(self, values: dict) -> bool:
        """The step's letter is issued on this outcome (a returned proposal issues none)."""
        return bool(self.document) and (not self.document_on or values.get(self.decision) in self.document_on)

    def applies(self, data: dict) -> bool:
        """A conditional step runs only when the case data meets its condition."""
        if not self.when:
            return True
        value = data.get(self.when["field"])
        if "equals" in self.when:
            return value == self.when["equals"]
        return bool(value) == bool(self.when.get("truthy", True))


@dataclass(frozen=True)
class FollowUp:
    """What happens after the last step when the source leaves the rest to the counselor: the case
    stays open (no step of its own) until one of `closed_by` on the team closes it with `report`;
    `booking` holds the options of sessions booked on the case meanwhile (summary, mode, only,
    working_hours, as the booking screen's); `preview`, what may be seen before taking it."""
    closed_by: tuple[str, ...]
    report: Field | None = None
    booking: dict | None = field(default=None, compare=False)
    # What a counselor who may take the case sees of it before answering: keys of plain (not
    # confidential) inputs, e.g. the area of the problem and the form of counseling asked for.
    preview: tuple[str, ...] = ()


@dataclass(frozen=True)
class Procedure:
    code: str
    title: str
    source: str
    steps: tuple[Step, ...]
    fields: tuple[Field, ...] = ()
    open_roles: tuple[str, ...] = ()
    subject_role: str | None = None
    # Opened for someone else as a referral (e.g. a workshop's follow-up): who may open it so
    # (`roles`), what else its subject may be besides `subject_role` (`subject_roles`), and the
    # procedures whose cases refer people to it (`from`, their codes).
    referral_roles: tuple[str, ...] = ()
    referral_subject_roles: tuple[str, ...] = ()
    referral_from: tuple[str, ...] = ()
    escalate_to: tuple[str, ...] = ("head",)
    # Roles whose holders serve a case as its team: the first to take a step of such a role
    # claims the case; later steps of that role belong to the team only.
    team_roles: tuple[str, ...] = ("counselor",)
    institution: str | None = None
    # For the people it serves, in plain words: who it is for and what happens after asking.
    description: str | None = None
    # The unit that offers it in a new installation: {code, name, institution} (None: the main unit).
    unit: dict | None = field(default=None, compare=False)
    extra_roles: dict = field(default_factory=dict)
    # Whoever opens the case for someone may register that person on the request form when they
    # have no account yet: name and their number under this label (NPP for a praja, NIP for a
    # pegawai). None: only people with accounts can be chosen.
    register_subject: str | None = None
    # The case stays open after its last step until closed (None: the last step closes it).
    follow_up: FollowUp | None = field(default=None, compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    @property
    def self_service(self) -> bool:
        """The person served may ask for it themselves: the request form is then their own words
        (where only others may open it — a referral — the form is what others wrote about them)."""
        return bool(self.subject_role and self.subject_role in self.open_roles)

    def screen_step(self, name: str) -> Step | None:
        """The step carried out on the named screen (e.g. the agreement step on booking)."""
        return next((s for s in self.steps if s.screen and s.screen["name"] == name), None)

    def field_origins(self) -> dict[str, tuple[Field, Step | None]]:
        """Every input by key: the field and the step that asks for it (None: the request form)."""
        origins: dict[str, tuple[Field, Step | None]] = {f.key: (f, None) for f in self.fields}
        for step in self.steps:
            for f in step.inputs:
                origins.setdefault(f.key, (f, step))
        return origins

    def grants(self) -> list[tuple[Field, Step | None, tuple[str, ...]]]:
        """Confidential values the procedure shares beyond the team, with whom (for its page)."""
        return [(f, step, f.share_with) for f, step in self.field_origins().values() if f.confidential and f.share_with]


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping (as key `__line__`)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def _strip_lines(value):
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


class _Checker:
    def __init__(self, name: str):
        self.name = name
        self.errors: list[str] = []

    def error(self, node, path: str, message: str) -> None:
        line = node.get("__line__", "?") if isinstance(node, dict) else "?"
        self.errors.append(f"{self.name}:{line}: {path}: {message}")

    def text(self, node, key, path, required=True):
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(node, f"{path}.{key}" if path else key, "wajib diisi")
            return None
        if not isinstance(value, str):
            self.error(node, f"{path}.{key}" if path else key, "harus berupa teks")
            return None
        return value.strip()

    def str_list(self, node, key, path, default=()):
        value = node.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(node, f"{path}.{key}" if path else key, "harus berupa daftar teks")
            return ()
        return tuple(value)


def _field(check: _Checker, node, path: str, roles: set[str], share_default: tuple[str, ...] = ()) -> Field | None:
    if not isinstance(node, dict):
        check.errors.append(f"{check.name}:?: {path}: harus berupa pemetaan (key, label, type)")
        return None
    key = check.text(node, "key", path)
    label = check.text(node, "label", path)
    ftype = node.get("type", "text")
    if ftype not in FIELD_TYPES:
        check.error(node, f"{path}.type", f"jenis '{ftype}' tidak dikenal (pilih: {', '.join(sorted(FIELD_TYPES))})")
    if key and not KEY.match(key):
        check.error(node, f"{path}.key", f"'{key}' harus huruf kecil, angka, garis bawah")
    options = check.str_list(node, "options", path)
    if ftype == "choice" and not options:
        check.error(node, f"{path}.options", "jenis choice memerlukan daftar options")
    role = node.get("role")
    if ftype == "user" and role not in roles:
        check.error(node, f"{path}.role", f"jenis user memerlukan role yang dikenal (bukan '{role}')")
    max_len = node.get("max", 2000)
    if not isinstance(max_len, int) or max_len <= 0:
        check.error(node, f"{path}.max", "harus bilangan bulat positif")
        max_len = 2000
    confidential = bool(node.get("confidential", False))
    # A step's share_with applies to its confidential inputs only.
    share_with = check.str_list(node, "share_with", path, default=share_default if confidential else ())
    for who in share_with:
        if who not in roles and who != "subject":
            check.error(node, f"{path}.share_with", f"peran '{who}' tidak dikenal")
    if "share_with" in node and not confidential:
        check.error(node, f"{path}.share_with", "hanya untuk masukan yang rahasia (confidential: true)")
    unknown = set(node) - {"__line__", "key", "label", "type", "required", "options", "role", "confidential", "max",
                           "help", "share_with"}
    if unknown:
        check.error(node, path, f"kunci tidak dikenal: {', '.join(sorted(unknown))}")
    if not (key and label):
        return None
    return Field(key=key, label=label, type=ftype, required=bool(node.get("required", True)), options=options,
                 role=role, confidential=confidential, max=max_len, help=node.get("help"),
                 share_with=share_with)


STEP_KEYS = {"__line__", "key", "title", "subject_title", "roles", "output", "duration", "wall_clock", "from",
             "inputs", "when", "assigns", "document", "note", "share_with", "decision", "outcomes", "screen",
             "repeat", "remind_before"}
TOP_KEYS = {"__line__", "code", "title", "source", "institution", "roles", "open_roles", "subject_role",
            "escalate_to", "team_roles", "fields", "steps", "description", "unit", "referral", "register_subject", "follow_up"}


def _unit(check: _Checker, doc: dict) -> dict | None:
    """`unit: {code: P2KLLK, name: <unit name>, institution: <institution name>}`."""
    raw = doc.get("unit")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.error(doc, "unit", "harus berupa pemetaan {code, name, institution}")
        return None
    code = check.text(raw, "code", "unit")
    name = check.text(raw, "name", "unit")
    institution = check.text(raw, "institution", "unit")
    if code and not UNIT_CODE.match(code):
        check.error(raw, "unit.code", f"'{code}' harus huruf, angka, titik atau tanda hubung (paling panjang 30)")
    unknown = set(raw) - {"__line__", "code", "name", "institution"}
    if unknown:
        check.error(raw, "unit", f"kunci tidak dikenal: {', '.join(sorted(map(str, unknown)))}")
    return {"code": code, "name": name, "institution": institution} if code and name and institution else None


def _follow_up(check: _Checker, doc: dict, roles: set[str], data_keys: set[str],
               secret_keys: set[str]) -> FollowUp | None:
    """`follow_up: {closed_by: [<role>], report: <input>, booking: {summary, mode, only, working_hours},
    preview: [<plain input>]}`: after its last step the case stays open until a team member
    holding `closed_by` closes it."""
    raw = doc.get("follow_up")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.error(doc, "follow_up", "harus berupa pemetaan {closed_by, report, booking}")
        return None
    closed_by = check.str_list(raw, "closed_by", "follow_up")
    if not closed_by:
        check.error(raw, "follow_up.closed_by", "wajib menyebut minimal satu peran yang menutup kasus")
    for role in closed_by:
        if role not in roles:
            check.error(raw, "follow_up.closed_by", f"peran '{role}' tidak dikenal")
    report = _field(check, raw["report"], "follow_up.report", roles) if "report" in raw else None
    if report is not None and report.key in data_keys:
        check.error(raw, "follow_up.report", f"'{report.key}' sudah dipakai data kasus atau langkah")
    booking = None
    if "booking" in raw:
        node = raw["booking"] if isinstance(raw["booking"], dict) else {}
        screen = _screen(check, {"screen": {**node, "name": "booking"}, "__line__": node.get("__line__", "?")},
                         "follow_up.booking", [], data_keys)
        booking = {k: v for k, v in (screen or {}).items() if k != "name"}  # time/place/code: no inputs here
    preview = check.str_list(raw, "preview", "follow_up")
    for key in preview:
        if key not in data_keys:
            check.error(raw, "follow_up.preview", f"'{key}' bukan isian kasus atau langkah")
        elif key in secret_keys:
            check.error(raw, "follow_up.preview", f"'{key}' rahasia: tidak boleh terlihat sebelum kasus diambil")
    unknown = set(raw) - {"__line__", "closed_by", "report", "booking", "preview"}
    if unknown:
        check.error(raw, "follow_up", f"kunci tidak dikenal: {', '.join(sorted(map(str, unknown)))}")
    return FollowUp(closed_by=closed_by, report=report, booking=booking, preview=preview)


def _decision(check: _Checker, node: dict, path: str, inputs: list[Field]) -> tuple[str | None, dict]:
    """`decision: <choice input>` with `outcomes: {option: next|close|back:<step>|skip:<step>}`."""
    decision, outcomes = node.get("decision"), node.get("outcomes") or {}
    if decision is None:
        if outcomes:
            check.error(node, f"{path}.outcomes", "memerlukan decision: <kunci masukan pilihan>")
        return None, {}
    field_ = next((f for f in inputs if f.key == decision and f.type == "choice"), None)
    if field_ is None:
        check.error(node, f"{path}.decision", f"'{decision}' harus kunci masukan berjenis choice di langkah ini")
        return None, {}
    if not isinstance(outcomes, dict):
        check.error(node, f"{path}.outcomes", "harus berupa pemetaan pilihan → next, close, back:<langkah>, skip:<langkah>")
        return decision, {}
    result = {}
    for option, action in outcomes.items():
        if option == "__line__":
            continue
        if option not in field_.options:
            check.error(node, f"{path}.outcomes.{option}", f"'{option}' bukan pilihan {decision}")
        kind, _sep, target = str(action).partition(":")
        if kind not in ("next", "close", "back", "skip") or (kind in ("back", "skip")) != bool(target):
            check.error(node, f"{path}.outcomes.{option}", f"'{action}' harus next, close, back:<langkah> atau skip:<langkah>")
            continue
        result[option] = str(action)
    return decision, result


def _document(check: _Checker, node: dict, path: str, decision: str | None, inputs: list[Field],
              roles: set[str]) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """`document: <type>` or `document: {type: <type>, issued_on: [<outcome>, …], to: [<recipient>, …]}`."""
    raw = node.get("document")
    if raw is None or isinstance(raw, str):
        return raw, (), ()
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        check.error(node, f"{path}.document", "harus jenis surat, atau {type: jenis, issued_on: [hasil keputusan]}")
        return None, (), ()
    issued_on = check.str_list(raw, "issued_on", f"{path}.document")
    options = next((f.options for f in inputs if f.key == decision), ())
    for option in issued_on:
        if option not in options:
            check.error(raw, f"{path}.document.issued_on", f"'{option}' bukan hasil keputusan langkah ini")
    recipients = check.str_list(raw, "to", f"{path}.document")
    user_inputs = {f.key for f in inputs if f.type == "user"}
    for spec in recipients:
        kind, _sep, value = spec.partition(":")
        if not (spec in ("assignee", "subject", "team", "opener") or (kind == "role" and value in roles)
                or (kind == "field" and value in user_inputs)):
            check.error(raw, f"{path}.document.to", f"penerima '{spec}' tidak dikenal (assignee, subject, team, opener, "
                                                    "role:<peran>, field:<masukan pengguna>)")
    unknown = set(raw) - {"__line__", "type", "issued_on", "to"}
    if unknown:
        check.error(raw, f"{path}.document", f"kunci tidak dikenal: {', '.join(sorted(map(str, unknown)))}")
    return raw["type"], issued_on, recipients


# Screens a step may name, with the options each takes: "input" names an input of the step,
# "data" a case value known before it (a request field or an earlier input), "option" an option
# of the step's decision. `booking` agrees a time (`mode`: the requested tatap muka / online);
# `booking_session` records on the appointment whether the session took place; `workshop` is the
# edition page of the minat-bakat workshop, `part` naming what the step is there: proposal (of
# the surat tugas), decision (the rectorate's), meeting (its outcome), preparation (the checklist).
# `only` fixes the form of service (online / tatap muka), `code` names the input that receives
# the meeting's access code, `working_hours: true` keeps proposed times inside the counselor's
# weekly availability. `online_intake` is a self-service stage of the e-konseling wizard
# (`part: account` is filled from the account's registration and confirmation times; `phone`
# names the input holding the WhatsApp number the notices go to);
# `acknowledge` is done by the app itself (a notice to the person served and to the counselors on
# duty); `thread` is done in the case's private conversation by the message its actor sends, the
# text filling the `answer` input (`post: true` says so explicitly).
SCREENS = {"booking": {"time": "input", "place": "input", "summary": "text", "mode": "data", "code": "input",
                       "only": "mode", "working_hours": "flag"},
           "online_intake": {"part": "text", "phone": "input"},
           "acknowledge": {},
           "thread": {"answer": "input", "post": "flag"},
           "booking_session": {"held": "option", "no_show_rebook": "option", "no_show_close": "option"},
           "workshop": {"part": "text"},
           # `workshop_announce`: the minat-bakat edition's letters to each prodi's kaprodi
           "workshop_announce": {},
           # app/referrals: `logbook` writes the step's line of the log book (`entry`: agreement,
           # the agreed time into the `time` input; or service); `external_referral` picks the
           # external party from the directory into the `party`, `institution`, `address` inputs;
           # `student_status` checks the NIM against the roster into `nim`, `status`, `override`.
           "logbook": {"entry": "text", "time": "input"},
           "external_referral": {"party": "input", "institution": "input", "address": "input"},
           "student_status": {"nim": "input", "status": "input", "override": "input"},
           # `lembar_disposisi`: a leader gives a disposition (instruction, deadline) to a holder of `to`
           "lembar_disposisi": {"to": "role"},
           # `pelaksanaan_disposisi`: the recipient of the last disposition reports it carried out
           "pelaksanaan_disposisi": {},
           # Case files (app/casefiles): `casefile` is the case's file — requirement documents,
           # `documents: lengkap` refuses the step until the unit's required ones are uploaded;
           # service/channel/problem name inputs chosen from the unit's configured categories and,
           # with sex/age/outcome, what the monthly client report counts; `session: ya` counts the
           # step as a session. `consent` records the informed consent; `assessment` fills the
           # unit's assessment sheet.
           "casefile": {"service": "input", "channel": "input", "problem": "input", "sex": "input", "age": "input",
                        "outcome": "input", "documents": "text", "session": "text"},
           "consent": {},
           "assessment": {"session": "text"}}


def _screen(check: _Checker, node: dict, path: str, inputs: list[Field], data_keys: set[str] = frozenset(),
            decision: str | None = None, roles: set[str] = frozenset()) -> dict | None:
    """`screen: {name: booking, time: <datetime input>, place: <input>, summary: <text>, mode: <data>}`."""
    raw = node.get("screen")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or raw.get("name") not in SCREENS:
        check.error(node, f"{path}.screen", f"harus salah satu layar: {', '.join(sorted(SCREENS))}")
        return None
    options = SCREENS[raw["name"]]
    keys = {f.key for f in inputs}
    choices = next((f.options for f in inputs if f.key == decision), ())
    result = {"name": raw["name"]}
    for option, value in raw.items():
        if option in ("__line__", "name"):
            continue
        if option not in options:
            check.error(node, f"{path}.screen.{option}", f"pilihan tidak dikenal untuk layar {raw['name']}")
        elif options[option] == "input" and value not in keys:
            check.error(node, f"{path}.screen.{option}", f"'{value}' harus kunci masukan langkah ini")
        elif options[option] == "data" and value not in data_keys:
            check.error(node, f"{path}.screen.{option}", f"'{value}' bukan data kasus atau langkah sebelumnya")
        elif options[option] == "option" and value not in choices:
            check.error(node, f"{path}.screen.{option}", f"'{value}' harus pilihan keputusan langkah ini")
        elif options[option] == "role" and value not in roles:
            check.error(node, f"{path}.screen.{option}", f"peran '{value}' tidak dikenal")
        elif options[option] == "mode" and value not in ("online", "tatap muka"):
            check.error(node, f"{path}.screen.{option}", f"'{value}' harus online atau tatap muka")
        elif options[option] == "flag" and not isinstance(value, bool):
            check.error(node, f"{path}.screen.{option}", "harus true atau false")
        else:
            result[option] = value
    return result


def _repeat(check: _Checker, node: dict, path: str) -> tuple[int, str]:
    """`repeat: 3` or `repeat: {times: 3, label: "hari ke-{n} dari {times}"}`."""
    raw = node.get("repeat")
    if raw is None:
        return 1, Step.repeat_label
    label = Step.repeat_label
    if isinstance(raw, dict):
        unknown = set(raw) - {"__line__", "times", "label"}
        if unknown:
            check.error(node, f"{path}.repeat", f"kunci tidak dikenal: {', '.join(sorted(map(str, unknown)))}")
        label, raw = raw.get("label", label), raw.get("times")
        if not isinstance(label, str) or "{n}" not in label:
            check.error(node, f"{path}.repeat.label", "harus teks yang memuat {n} (mis. \"hari ke-{n} dari {times}\")")
            label = Step.repeat_label
        else:
            try:
                label.format(n=1, times=2)
            except (KeyError, IndexError, ValueError):
                check.error(node, f"{path}.repeat.label", "hanya {n} dan {times} yang dapat dipakai")
                label = Step.repeat_label
    if not isinstance(raw, int) or isinstance(raw, bool) or not 2 <= raw <= 30:
        check.error(node, f"{path}.repeat", "harus bilangan bulat 2 sampai 30 (berapa kali langkah diulang)")
        return 1, label
    return raw, label


def _check_outcomes(check: _Checker, raw_steps: list, steps: list[Step]) -> None:
    """Targets exist and point the right way; a step that decides can always move on."""
    numbers = {s.key: s.number for s in steps}
    for step in steps:
        node = raw_steps[step.number - 1]
        path = f"steps[{step.number - 1}].outcomes"
        for option, action in step.outcomes.items():
            kind, _sep, target = action.partition(":")
            if kind in ("back", "skip") and target not in numbers:
                check.error(node, f"{path}.{option}", f"langkah '{target}' tidak ada")
            elif kind == "back" and numbers[target] > step.number:
                check.error(node, f"{path}.{option}", f"back harus ke langkah sebelumnya, bukan '{target}'")
            elif kind == "skip" and numbers[target] <= step.number:
                check.error(node, f"{path}.{option}", f"skip harus ke langkah sesudahnya, bukan '{target}'")
        if step.decision:
            options = next(f.options for f in step.inputs if f.key == step.decision)
            if all(step.outcomes.get(o, "next").startswith("back:") for o in options):
                check.error(node, path, "setiap pilihan kembali ke langkah sebelumnya: kasus tidak pernah bisa lanjut")


def parse(text: str, name: str = "<definisi>") -> Procedure:
    """Validate a definition; raise DefinitionError listing every error with file:line: path."""
    check = _Checker(name)
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise DefinitionError([f"{name}:{line}: YAML tidak valid: {getattr(exc, 'problem', exc)}"]) from None
    except RecursionError:
        raise DefinitionError([f"{name}:1: YAML terlalu bersarang"]) from None
    if not isinstance(doc, dict):
        raise DefinitionError([f"{name}:1: definisi harus berupa pemetaan dengan code, title, steps"])

    unknown = set(doc) - TOP_KEYS
    if unknown:
        check.error(doc, "(atas)", f"kunci tidak dikenal: {', '.join(sorted(unknown))}")
    code = check.text(doc, "code", "")
    if code and not CODE.match(code):
        check.error(doc, "code", f"'{code}' harus huruf kecil, angka dan tanda hubung")
    title = check.text(doc, "title", "")
    source = check.text(doc, "source", "")
    description = check.text(doc, "description", "", required=False)
    unit = _unit(check, doc)
    extra_roles = doc.get("roles") or {}
    if not isinstance(extra_roles, dict):
        check.error(doc, "roles", "harus berupa pemetaan kode → nama peran")
        extra_roles = {}
    extra_roles = {k: v for k, v in extra_roles.items() if k != "__line__"}
    roles = set(BUILTIN_ROLES) | set(extra_roles)
    for role_code in extra_roles:
        if not KEY.match(str(role_code)):
            check.error(doc, f"roles.{role_code}", "kode peran harus huruf kecil, angka, garis bawah")

    def known(role_list, path, node, allow_special=False):
        for role in role_list:
            if role not in roles and not (allow_special and role in SPECIAL_ACTORS):
                check.error(node, path, f"peran '{role}' tidak dikenal")

    open_roles = check.str_list(doc, "open_roles", "")
    known(open_roles, "open_roles", doc)
    escalate_to = check.str_list(doc, "escalate_to", "", default=("head",))
    known(escalate_to, "escalate_to", doc)
    team_roles = check.str_list(doc, "team_roles", "", default=("counselor",))
    known(team_roles, "team_roles", doc)
    subject_role = doc.get("subject_role")
    if subject_role is not None and subject_role not in roles:
        check.error(doc, "subject_role", f"peran '{subject_role}' tidak dikenal")
    register_subject = check.text(doc, "register_subject", "", required=False)
    if register_subject and (subject_role is None or len(register_subject) > 40):
        check.error(doc, "register_subject", "memerlukan subject_role, dan labelnya paling panjang 40 karakter")
    referral = doc.get("referral") or {}
    if not isinstance(referral, dict) or set(referral) - {"__line__", "roles", "subject_roles", "from"}:
        check.error(doc, "referral", "harus berisi roles, subject_roles dan from saja")
        referral = {}
    referral_roles = check.str_list(referral, "roles", "referral") if referral else ()
    known(referral_roles, "referral.roles", doc)
    referral_subject_roles = check.str_list(referral, "subject_roles", "referral") if referral else ()
    known(referral_subject_roles, "referral.subject_roles", doc)
    referral_from = check.str_list(referral, "from", "referral") if referral else ()

    fields = []
    for i, node in enumerate(doc.get("fields") or []):
        f = _field(check, node, f"fields[{i}]", roles)
        if f:
            fields.append(f)
    data_keys = {f.key for f in fields}

    raw_steps = doc.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        check.error(doc, "steps", "wajib berisi minimal satu langkah")
        raw_steps = []
    seen = set()
    for i, node in enumerate(raw_steps):
        path = f"steps[{i}]"
        if not isinstance(node, dict):
            check.errors.append(f"{name}:?: {path}: harus berupa pemetaan")
            continue
        unknown = set(node) - STEP_KEYS
        if unknown:
            check.error(node, path, f"kunci tidak dikenal: {', '.join(sorted(unknown))}")
        key = check.text(node, "key", path)
        if key and not KEY.match(key):
            check.error(node, f"{path}.key", f"'{key}' harus huruf kecil, angka, garis bawah")
        if key in seen:
            check.error(node, f"{path}.key", f"'{key}' dipakai dua kali")
        step_title = check.text(node, "title", path)
        subject_title = check.text(node, "subject_title", path, required=False)
        step_roles = check.str_list(node, "roles", path)
        if not step_roles:
            check.error(node, f"{path}.roles", "wajib menyebut minimal satu pelaksana")
        known(step_roles, f"{path}.roles", node, allow_special=True)
        if subject_title and "subject" not in step_roles:
            check.error(node, f"{path}.subject_title", "hanya untuk langkah yang dikerjakan penerima layanan (subject)")
        duration = None
        if node.get("duration") is not None:
            try:
                duration = parse_duration(str(node["duration"]), bool(node.get("wall_clock", False)))
            except DurationError as exc:
                check.error(node, f"{path}.duration", str(exc))
        start = node.get("from", "previous")
        anchor = start.split(":", 1)[1] if isinstance(start, str) and start.startswith("event:") else None
        if start not in ("previous", "start") and anchor is None:
            check.error(node, f"{path}.from", f"'{start}' harus previous, start, atau event:<kunci data>")
        step_share = check.str_list(node, "share_with", path)
        inputs = []
        for j, fnode in enumerate(node.get("inputs") or []):
            f = _field(check, fnode, f"{path}.inputs[{j}]", roles, share_default=step_share)
            if f:
                inputs.append(f)
        if anchor and anchor not in data_keys:
            check.error(node, f"{path}.from", f"peristiwa '{anchor}' bukan data kasus atau langkah sebelumnya")
        when = node.get("when")
        if when is not None:
            if not isinstance(when, dict) or "field" not in when:
                check.error(node, f"{path}.when", "harus berupa {field: kunci, equals: nilai}")
                when = None
            else:
                when = {k: v for k, v in when.items() if k != "__line__"}
                if when["field"] not in data_keys:
                    check.error(node, f"{path}.when", f"data '{when['field']}' belum ada sebelum langkah ini")
        assigns = node.get("assigns")
        if assigns is not None and assigns not in {f.key for f in inputs if f.type == "user"}:
            check.error(node, f"{path}.assigns", f"'{assigns}' harus kunci masukan berjenis user di langkah ini")
        decision, outcomes = _decision(check, node, path, inputs)
        screen = _screen(check, node, path, inputs, data_keys, decision, roles)
        repeat, repeat_label = _repeat(check, node, path)
        remind_before = None
        if node.get("remind_before") is not None:
            try:
                remind_before = parse_duration(str(node["remind_before"]))
            except DurationError as exc:
                check.error(node, f"{path}.remind_before", str(exc))
            if anchor is None:
                check.error(node, f"{path}.remind_before", "hanya untuk langkah yang mulai pada peristiwa (from: event:<kunci>)")
        document, document_on, document_to = _document(check, node, path, decision, inputs, roles)
        data_keys |= {f.key for f in inputs}
        if key:
            seen.add(key)
        if key and step_title and step_roles:
            steps.append(Step(number=i + 1, key=key, title=step_title, roles=step_roles,
                              output=node.get("output"), duration=duration, start=start if anchor or start in ("previous", "start") else "previous",
                              inputs=tuple(inputs), when=when, assigns=assigns, document=document,
                              document_on=document_on, document_to=document_to, note=node.get("note"),
                              subject_title=subject_title,
                              decision=decision,
                              outcomes=outcomes, screen=screen, repeat=repeat, repeat_label=repeat_label,
                              remind_before=remind_before))
    _check_outcomes(check, raw_steps, steps)
    secret_keys = {f.key for f in fields if f.confidential} | {f.key for s in steps for f in s.inputs if f.confidential}
    follow_up = _follow_up(check, doc, roles, data_keys, secret_keys)
    if check.errors:
        raise DefinitionError(check.errors)
    return Procedure(code=code, title=title, source=source, steps=tuple(steps), fields=tuple(fields),
                     open_roles=open_roles, subject_role=subject_role, escalate_to=escalate_to,
                     referral_roles=tuple(referral_roles), referral_subject_roles=tuple(referral_subject_roles),
                     referral_from=tuple(referral_from), team_roles=team_roles,
                     institution=doc.get("institution"), description=description, unit=unit,
                     extra_roles=extra_roles, register_subject=register_subject, follow_up=follow_up, raw=_strip_lines(doc))


MAX_FILE_BYTES = 1_000_000


def parse_file(path: Path) -> Procedure:
    """Read and validate a definition file: a regular file of at most 1 MB (not a device or pipe)."""
    if path.exists() and not path.is_dir() and not path.is_file():
        raise DefinitionError([f"{path}:1: bukan berkas biasa"])
    if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
        raise DefinitionError([f"{path}:1: berkas lebih dari 1 MB; definisi prosedur jauh lebih kecil"])
    return parse(path.read_text(encoding="utf-8"), str(path))


def definition_files(extra_dir: str | None = None) -> list[Path]:
    """Built-in files, then the institution's own (same code replaces the built-in one)."""
    files = sorted(BUILTIN_DIR.glob("*.yaml"))
    if extra_dir and Path(extra_dir).is_dir():
        files += sorted(Path(extra_dir).glob("*.yaml"))
    return files
