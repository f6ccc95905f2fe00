"""Aho–Corasick multi-pattern matching, pure Python.

Built once per word-list version: a trie of the patterns with failure links (the longest proper
suffix that is also a trie path) computed breadth first, and each node's output list extended by
its failure node's, so one left-to-right pass reports every occurrence of every pattern,
overlapping ones included, in time linear in the text plus the number of matches.
"""

from collections import deque
from collections.abc import Hashable, Iterable

# Remembered transitions per automaton (about 100 bytes each): enough for every state/character
# pair real posts reach, small enough per worker.
LEARNED_EDGES = 200_000


class Automaton:
    def __init__(self, patterns: Iterable[tuple[str, Hashable]]):
        goto: list[dict[str, int]] = [{}]
        outputs: list[tuple] = [()]
        for word, payload in patterns:
            if not word:
                continue
            node = 0
            for char in word:
                following = goto[node].get(char)
                if following is None:
                    following = len(goto)
                    goto[node][char] = following
                    goto.append({})
                    outputs.append(())
                node = following
            if (len(word), payload) not in outputs[node]:
                outputs[node] = (*outputs[node], (len(word), payload))
        fail = [0] * len(goto)
        queue = deque(goto[0].values())
        while queue:
            node = queue.popleft()
            for char, following in goto[node].items():
                queue.append(following)
                state = fail[node]
                while state and char not in goto[state]:
                    state = fail[state]
                target = goto[state].get(char, 0)
                fail[following] = target if target != following else 0
                if outputs[fail[following]]:
                    outputs[following] = outputs[following] + outputs[fail[following]]
        self._goto = goto
        self._fail = fail
        self._outputs = outputs
        self.size = len(goto)
        # The automaton as a DFA, filled as texts are scanned: state × character → next state
        # with the failure links already followed. Starts as the trie's own edges; bounded, so
        # that unusual texts cannot grow it without limit.
        self._delta = [dict(children) for children in goto]
        self._learned = 0

    def outputs_at(self, text: str) -> list[tuple[int, tuple]]:
        """(end, ((length, payload), ...)) for every position where something ends: the hot
        loop of the word engine, one dictionary lookup per character once the transitions it
        needs are known (no generator per match)."""
        delta, outputs = self._delta, self._outputs
        found = []
        node = 0
        for index, char in enumerate(text):
            following = delta[node].get(char)
            if following is None:
                following = self._follow(node, char)
            node = following
            if outputs[node]:
                found.append((index + 1, outputs[node]))
        return found

    def _follow(self, node: int, char: str) -> int:
        """The next state through the failure links, remembered while the budget lasts (dict
        writes are atomic; two threads learning the same edge write the same value)."""
        goto, fail = self._goto, self._fail
        state = node
        following = goto[state].get(char)
        while following is None and state:
            state = fail[state]
            following = goto[state].get(char)
        following = following or 0
        if self._learned < LEARNED_EDGES:
            self._delta[node][char] = following
            self._learned += 1
        return following
