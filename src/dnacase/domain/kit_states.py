"""The kit life cycle as a pure transition table.

A kit is issued blank, used to collect one sample, shipped to a laboratory, received (checked
in) there, and then either profiled or failed::

    issued --collect--> collected --ship--> shipped --receive--> received --profile--> profiled
                                                                          \\--fail-----> failed

The services consult :func:`can_transition` / :func:`apply` before changing a kit, and show
:func:`allowed_actions` next to the state. States and actions are plain strings so they can be
stored and sent as they are; labels for people come from the message catalogue.
"""

from __future__ import annotations

from typing import Final

from dnacase.domain.errors import N_, IllegalTransition

ISSUED: Final = "issued"
COLLECTED: Final = "collected"
SHIPPED: Final = "shipped"
RECEIVED: Final = "received"
PROFILED: Final = "profiled"
FAILED: Final = "failed"

STATES: Final[tuple[str, ...]] = (ISSUED, COLLECTED, SHIPPED, RECEIVED, PROFILED, FAILED)
#: States in which a kit still needs work by someone ("open" kits on the dashboard).
OPEN_STATES: Final[tuple[str, ...]] = (ISSUED, COLLECTED, SHIPPED, RECEIVED)
FINAL_STATES: Final[tuple[str, ...]] = (PROFILED, FAILED)

COLLECT: Final = "collect"
SHIP: Final = "ship"
RECEIVE: Final = "receive"
PROFILE: Final = "profile"
FAIL: Final = "fail"

ACTIONS: Final[tuple[str, ...]] = (COLLECT, SHIP, RECEIVE, PROFILE, FAIL)

#: (state, action) -> next state. Anything not listed is illegal.
TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (ISSUED, COLLECT): COLLECTED,
    (COLLECTED, SHIP): SHIPPED,
    (SHIPPED, RECEIVE): RECEIVED,
    (RECEIVED, PROFILE): PROFILED,
    (RECEIVED, FAIL): FAILED,
}


def _check_state(state: str) -> None:
    if state not in STATES:
        raise IllegalTransition(
            N_("unknown kit state %(state)r; known: %(known)s"), state=state,
            known=", ".join(STATES),
        )


def allowed_actions(state: str) -> tuple[str, ...]:
    """Return the actions allowed from *state*, in life-cycle order (empty for final states)."""
    _check_state(state)
    return tuple(action for action in ACTIONS if (state, action) in TRANSITIONS)


def can_transition(state: str, action: str) -> bool:
    """True when *action* is allowed for a kit in *state*."""
    return (state, action) in TRANSITIONS


def apply(state: str, action: str, *, barcode: str | None = None) -> str:
    """Return the state after *action*, or raise :class:`IllegalTransition`.

    The message names the kit (when *barcode* is given), its state, the refused action and the
    actions that are allowed instead.
    """
    _check_state(state)
    if action not in ACTIONS:
        raise IllegalTransition(
            N_("unknown kit action %(action)r; known: %(known)s"), action=action,
            known=", ".join(ACTIONS),
        )
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = allowed_actions(state)
        if allowed:
            raise IllegalTransition(
                N_("cannot %(action)s kit %(barcode)s: it is %(state)s; allowed next: "
                   "%(allowed)s"),
                field="action", labels=("action", "state"), action=action,
                barcode=barcode or "", state=state, allowed=", ".join(allowed),
            ) from None
        raise IllegalTransition(
            N_("cannot %(action)s kit %(barcode)s: it is %(state)s, a final state that allows "
               "no further action"),
            field="action", labels=("action", "state"), action=action, barcode=barcode or "",
            state=state,
        ) from None
