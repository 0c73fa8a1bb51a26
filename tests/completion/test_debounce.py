"""The debounce follows the typing rhythm only when asked to, and within bounds."""

from __future__ import annotations

from renga.completion.debounce import MAX_ADAPTIVE_MS, Rhythm


def typed(gaps_ms: list[float]) -> Rhythm:
    rhythm, t = Rhythm(), 0.0
    rhythm.keystroke(t)
    for gap in gaps_ms:
        t += gap / 1000
        rhythm.keystroke(t)
    return rhythm


def test_fixed_when_not_adaptive_or_too_few_keystrokes() -> None:
    assert typed([125] * 10).delay_ms(75, adaptive=False) == 75
    assert typed([125]).delay_ms(75, adaptive=True) == 75


def test_a_steady_run_stretches_the_wait_past_the_next_keystroke() -> None:
    delay = typed([125] * 10).delay_ms(75, adaptive=True)
    assert delay > 125 and delay <= MAX_ADAPTIVE_MS


def test_slow_typing_and_pauses_keep_the_base() -> None:
    assert typed([400] * 10).delay_ms(75, adaptive=True) == 75
    # Pauses longer than a second are not part of the rhythm.
    assert typed([5000, 5000, 5000]).delay_ms(75, adaptive=True) == 75


def test_zero_turns_it_off() -> None:
    assert typed([50] * 10).delay_ms(0, adaptive=True) == 0
