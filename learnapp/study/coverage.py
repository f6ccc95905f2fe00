"""Watched video segments as merged intervals of whole seconds (pure functions)."""


def merge(intervals: list[list[int]]) -> list[list[int]]:
    """Sort and join overlapping or touching [start, end) intervals."""
    merged: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def covered_seconds(intervals: list[list[int]]) -> int:
    return sum(end - start for start, end in merge(intervals))


def add_segment(intervals: list[list[int]], start: int, end: int) -> tuple[list[list[int]], int]:
    """The coverage with [start, end) added, and how many seconds of it are new."""
    before = covered_seconds(intervals)
    after = merge([*intervals, [start, end]])
    return after, covered_seconds(after) - before
