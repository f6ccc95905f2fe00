"""Aho–Corasick multi-pattern matching, pure Python.

Built once per word-list version: a trie of the patterns with failure links (the longest proper
suffix that is also a trie path) computed breadth first, and each node's output list extended by
its failure node's, so one left-to-right pass reports every occurrence of every pattern,
overlapping ones included, in time linear in the text plus the number of matches.
"""

from collections import deque
from collections.abc import Hashable, Iterable, Iterator


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

    def iter_matches(self, text: str) -> Iterator[tuple[int, int, Hashable]]:
        """(start, end, payload) for every occurrence; end is exclusive."""
        goto, fail, outputs = self._goto, self._fail, self._outputs
        node = 0
        for index, char in enumerate(text):
            while node and char not in goto[node]:
                node = fail[node]
            node = goto[node].get(char, 0)
            if outputs[node]:
                end = index + 1
                for length, payload in outputs[node]:
                    yield end - length, end, payload
