import pytest

from dnacase.domain import kit_states as ks
from dnacase.domain.errors import IllegalTransition


def test_happy_path_through_the_life_cycle() -> None:
    state = ks.ISSUED
    for action, expected in [
        (ks.COLLECT, ks.COLLECTED), (ks.SHIP, ks.SHIPPED), (ks.RECEIVE, ks.RECEIVED),
        (ks.PROFILE, ks.PROFILED),
    ]:
        assert ks.can_transition(state, action)
        state = ks.apply(state, action)
        assert state == expected
    assert ks.apply(ks.RECEIVED, ks.FAIL) == ks.FAILED


def test_allowed_actions_per_state() -> None:
    assert ks.allowed_actions(ks.ISSUED) == (ks.COLLECT,)
    assert ks.allowed_actions(ks.RECEIVED) == (ks.PROFILE, ks.FAIL)
    assert ks.allowed_actions(ks.PROFILED) == ()
    assert ks.allowed_actions(ks.FAILED) == ()


@pytest.mark.parametrize("state", ks.STATES)
@pytest.mark.parametrize("action", ks.ACTIONS)
def test_every_pair_is_either_in_the_table_or_refused(state: str, action: str) -> None:
    if (state, action) in ks.TRANSITIONS:
        assert ks.apply(state, action) == ks.TRANSITIONS[(state, action)]
    else:
        assert not ks.can_transition(state, action)
        with pytest.raises(IllegalTransition) as info:
            ks.apply(state, action, barcode="KIT-2025-000001-XX")
        message = str(info.value)
        assert f"cannot {action} kit KIT-2025-000001-XX: it is {state}" in message
        allowed = ks.allowed_actions(state)
        if allowed:
            assert all(a in message for a in allowed)
        else:
            assert "final state" in message


def test_unknown_state_or_action() -> None:
    with pytest.raises(IllegalTransition, match="unknown kit state"):
        ks.apply("lost", ks.SHIP)
    with pytest.raises(IllegalTransition, match="unknown kit action"):
        ks.apply(ks.ISSUED, "burn")


def test_every_state_is_reachable_from_issued() -> None:
    reached = {ks.ISSUED}
    frontier = [ks.ISSUED]
    while frontier:
        state = frontier.pop()
        for action in ks.allowed_actions(state):
            nxt = ks.apply(state, action)
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(ks.STATES)
