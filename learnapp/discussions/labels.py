"""Display labels of the discussion enums."""

from flask_babel import lazy_gettext as _l

from learnapp.discussions.models import (
    BoardKind,
    ModerationMode,
    PostState,
    ReasonCode,
    ReportState,
    WordAction,
)
from learnapp.discussions.queries.announcements import ReceiptNote

BOARD_KIND_LABELS = {
    BoardKind.PLATFORM: _l("Platform board"),
    BoardKind.BRANCH: _l("Branch board"),
    BoardKind.COURSE: _l("Course board"),
}
MODE_LABELS = {
    ModerationMode.STANDARD: _l("Hold posts of new members and flagged posts for review"),
    ModerationMode.FLAGGED_ONLY: _l("Publish, then review: hold flagged posts only"),
    ModerationMode.HOLD_ALL: _l("Hold every post for review (先审后发)"),
}
REASON_LABELS = {
    ReasonCode.FINE: _l("Nothing wrong"),
    ReasonCode.FALSE_POSITIVE: _l("Word list false alarm"),
    ReasonCode.SPAM: _l("Spam"),
    ReasonCode.ADVERTISING: _l("Advertising"),
    ReasonCode.ILLEGAL: _l("Illegal or harmful content"),
    ReasonCode.PERSONAL_ATTACK: _l("Personal attack"),
    ReasonCode.PRIVACY: _l("Exposes personal data"),
    ReasonCode.OFF_TOPIC: _l("Off topic"),
    ReasonCode.OTHER: _l("Other"),
}
WORD_ACTION_LABELS = {
    WordAction.BLOCK: _l("Block (hold, suggest removal)"),
    WordAction.REVIEW: _l("Review (hold for a moderator)"),
    WordAction.PASS: _l("Pass (record only)"),
}
HOLD_REASON_LABELS = {
    "blocked": _l("contains a blocked term"),
    "flagged": _l("contains a term for review"),
    "spam": _l("looks like spam"),
    "board": _l("this board reviews every post"),
    "new_member": _l("new member"),
    "recorded": _l("contains a term to look at afterwards"),
}
POST_STATE_LABELS = {
    PostState.PUBLISHED: _l("Published"),
    PostState.HELD: _l("Held for review"),
    PostState.REJECTED: _l("Removed by a moderator"),
    PostState.DELETED: _l("Deleted by its author"),
}
REPORT_STATE_LABELS = {
    ReportState.OPEN: _l("Open"),
    ReportState.UPHELD: _l("Upheld: post removed"),
    ReportState.DISMISSED: _l("Dismissed: post stays"),
}
RECEIPT_NOTE_LABELS = {
    ReceiptNote.DISABLED: _l("Disabled"),
    ReceiptNote.MOVED_OUT: _l("Moved out"),
    ReceiptNote.JOINED_LATER: _l("Joined after publication"),
}
