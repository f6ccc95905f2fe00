"""What a member may send for a slot, and the forms a response takes.

The browser only ever sees opaque per-attempt option ids (E1); this module maps them back to
option indexes. A stored response is a small dict in the question type's terms:

- single   {"choice": int}            original option index
- multiple {"choices": [int, ...]}
- judge    {"value": bool}
- fill     {"blanks": [str, ...]}
- short    {"text": str}

`grading_input` turns it into what `question_bank.types.grade` expects.
"""

from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError
from learnapp.question_bank.types import MAX_BLANKS, MAX_LONG_TEXT, parse_judge

MAX_BLANK_TEXT = 200


def _bad() -> DomainError:
    return DomainError(None, _l("The answer could not be understood."))


def _text(value, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad()
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise DomainError(None, _l("The answer is too long."))
    return value


def parse_response(slot, raw: dict | None) -> dict | None:
    """The stored form of a member's answer to `slot`; None for "no answer". Raises DomainError
    for anything malformed: unknown option ids, wrong shapes, oversized text."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _bad()
    kind = slot.question_type
    if kind == "single":
        value = raw.get("value")
        if value in (None, ""):
            return None
        if value not in slot.option_ids:
            raise _bad()
        return {"choice": slot.option_order[slot.option_ids.index(value)]}
    if kind == "multiple":
        values = raw.get("values")
        if not isinstance(values, list) or len(values) > len(slot.option_ids):
            raise _bad()
        if any(v not in slot.option_ids for v in values):
            raise _bad()
        chosen = sorted({slot.option_order[slot.option_ids.index(v)] for v in values})
        return {"choices": chosen} if chosen else None
    if kind == "judge":
        value = raw.get("value")
        if value in (None, ""):
            return None
        parsed = parse_judge(value) if isinstance(value, str) else None
        if parsed is None:
            raise _bad()
        return {"value": parsed}
    if kind == "fill":
        blanks = raw.get("blanks")
        if not isinstance(blanks, list) or len(blanks) > MAX_BLANKS:
            raise _bad()
        texts = [_text(b, MAX_BLANK_TEXT) for b in blanks]
        return {"blanks": texts} if any(texts) else None
    if kind == "short":
        text = _text(raw.get("text", ""), MAX_LONG_TEXT)
        return {"text": text} if text else None
    raise _bad()


def grading_input(question_type: str, response: dict | None):
    """The response as `question_bank.types.grade` reads it."""
    response = response or {}
    if question_type == "single":
        return response.get("choice")
    if question_type == "multiple":
        return response.get("choices", [])
    if question_type == "judge":
        return response.get("value")
    if question_type == "fill":
        return response.get("blanks", [])
    return response.get("text", "")


def widget_state(slot, response: dict | None) -> dict:
    """`response` (in the stored form) in the widget's terms (opaque ids), to pre-fill the
    taking screen."""
    response = response or {}
    if slot.question_type == "single" and "choice" in response:
        return {"values": [slot.option_ids[slot.option_order.index(response["choice"])]]}
    if slot.question_type == "multiple":
        return {
            "values": [
                slot.option_ids[slot.option_order.index(index)]
                for index in response.get("choices", [])
            ]
        }
    if slot.question_type == "judge" and "value" in response:
        return {"values": ["true" if response["value"] else "false"]}
    if slot.question_type == "fill":
        return {"blanks": response.get("blanks", [])}
    if slot.question_type == "short":
        return {"text": response.get("text", "")}
    return {}


def form_response(slot, form) -> dict | None:
    """The raw answer of `slot` from a posted form (the page without JavaScript, or the final
    submit): field q<position>, blanks q<position>-<n>."""
    name = f"q{slot.position}"
    if slot.question_type == "multiple":
        return {"values": form.getlist(name)}
    if slot.question_type == "fill":
        count = len(slot.version.spec.get("blanks", []))
        return {"blanks": [form.get(f"{name}-{n}", "") for n in range(count)]}
    if slot.question_type == "short":
        return {"text": form.get(name, "")}
    return {"value": form.get(name, "")}
