"""The embedded backend's token sampling: llama.cpp's samplers, a JSON grammar checked lazily.

llama-cpp-python puts the grammar first in its sampler chain, so every token runs the grammar over
the whole vocabulary (49,152 tokens for SmolLM2) before top-k: measured at 0.52 of raw decode
speed. llama.cpp's own tools draw first and ask the grammar about the drawn token only, and redraw
from the grammar-allowed tokens when it is rejected. Samplers does the same, and makes the redraw
cheap too: the grammar is asked only about tokens whose first byte it accepts, and of those first
about the best-scoring ones (both exact: see possible_tokens and shortlist_decides).

Sampling is llama-cpp-python's: the repeat penalty over the last 64 tokens (Ollama's window), then
greedy at temperature 0, else llama.cpp's top-k, top-p, min-p, temperature and seeded draw.
"""

from __future__ import annotations

import ctypes
import math
import weakref
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tasks.agents.options import ModelOptions

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

PENALTY_LAST_N = 64  # Ollama's repeat_last_n default, and llama-cpp-python's window

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


class DecodeError(Exception):
    """Sampling cannot go on: a grammar llama.cpp rejects, or one that allows no token."""


class _Candidates:
    """A llama_token_data_array over a buffer of `capacity` tokens, with a numpy view of it."""

    def __init__(self, capacity: int) -> None:
        import llama_cpp

        self._buffer = (llama_cpp.llama_token_data * capacity)()
        self.view = np.frombuffer(self._buffer, dtype=_TOKEN_DATA)
        self.array = llama_cpp.llama_token_data_array(
            data=self._buffer, size=capacity, selected=-1, sorted=False
        )

    def set(self, ids: np.ndarray, logits: np.ndarray) -> None:
        size = len(ids)
        self.view["id"][:size] = ids
        self.view["logit"][:size] = logits
        self.view["p"][:size] = 0.0
        self.array.size, self.array.selected, self.array.sorted = size, -1, False

    @property
    def tokens(self) -> np.ndarray:
        """The candidates now in the array (samplers shrink it)."""
        return self.view[: self.array.size]

    def chosen(self) -> tuple[int, float]:
        token = self.array.data[self.array.selected]
        return token.id, token.logit


class Samplers:
    """One call's samplers: repeat penalty, the drawing chain, and the grammar if there is one.

    A draw the grammar rejects is redrawn from the grammar-allowed tokens. Filtering the whole
    vocabulary costs ~8 ms for SmolLM2 (half a decode step), so the grammar is only asked about
    tokens it may allow (possible_tokens), and of those first about the best-scoring ones.
    """

    SHORTLIST = 1024

    def __init__(self, llama: Llama, run: ModelOptions, grammar: LlamaGrammar | None) -> None:
        import llama_cpp

        self._lib = llama_cpp
        vocab = llama._model.vocab
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._repeat_penalty = run.repeat_penalty
        self._recent: deque[int] = deque(maxlen=PENALTY_LAST_N)
        self.chain = _drawing_chain(run)
        self._kept = 1 if run.temperature == 0.0 else run.top_k if run.top_k > 0 else self.n_vocab
        self._top_p = 1.0 if run.temperature == 0.0 else run.top_p
        self.grammar = None
        if grammar is not None:
            self.grammar = llama_cpp.llama_sampler_init_grammar(
                vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
            )
            if not self.grammar:
                self.close()
                raise DecodeError("llama.cpp could not parse the grammar")
            self._pieces = _pieces(llama)
            self._one = _Candidates(1)
            self._bytes = _Candidates(len(self._pieces.byte_tokens))
            self._all = _Candidates(self.n_vocab)

    def _apply(self, sampler, candidates: _Candidates) -> None:
        self._lib.llama_sampler_apply(sampler, ctypes.byref(candidates.array))

    def _penalise(self, logits: np.ndarray) -> None:
        """llama.cpp's repeat penalty, applied in place to the tokens of the recent window.

        Done here on the few tokens it touches: llama.cpp's penalty sampler looks up every one
        of the vocabulary's tokens in its window (0.16 ms a token for SmolLM2, 1% of a step).
        """
        if self._recent and self._repeat_penalty != 1.0:
            recent = np.fromiter(set(self._recent), dtype=np.int32)
            scores = logits[recent]
            penalty = self._repeat_penalty
            logits[recent] = np.where(scores <= 0, scores * penalty, scores / penalty)

    def _grammar_allows(self, token: int) -> bool:
        self._one.view[0] = (token, 0.0, 0.0)
        self._one.array.selected = -1
        self._apply(self.grammar, self._one)
        return not math.isinf(self._one.view["logit"][0])

    def possible_tokens(self) -> np.ndarray:
        """The tokens the grammar may allow now: those whose first byte it accepts on its own
        (a token it rejects cannot start an allowed one), and the end-of-turn tokens."""
        pieces = self._pieces
        self._bytes.set(pieces.byte_tokens, np.zeros(len(pieces.byte_tokens), dtype=np.float32))
        self._apply(self.grammar, self._bytes)
        possible = np.ones(258, dtype=bool)  # index 256: empty piece, 257: first byte unknown
        possible[pieces.byte_values] = np.isfinite(self._bytes.tokens["logit"])
        possible[256] = False  # the grammar rejects every empty piece that is not end-of-turn
        keep = possible[pieces.first_byte]
        keep[pieces.end_of_turn] = True  # allowed or not by the grammar's state, not their text
        return self._ids[keep]

    def allowed_among(self, tokens: np.ndarray, logits: np.ndarray) -> _Candidates:
        """These tokens with their logits, the ones the grammar rejects set to -inf."""
        self._all.set(tokens, logits[tokens])
        self._apply(self.grammar, self._all)
        return self._all

    def _redraw(self, logits: np.ndarray) -> int:
        """The chain's draw from the tokens the grammar allows: among the SHORTLIST best of the
        possible tokens when they decide it (shortlist_decides), else among all of them."""
        possible = self.possible_tokens()
        if len(possible) > self.SHORTLIST:
            best = possible[np.argpartition(logits[possible], -self.SHORTLIST)[-self.SHORTLIST :]]
            floor = float(logits[best].min())
            shortlist = self.allowed_among(best, logits)
            allowed = shortlist.tokens["logit"][np.isfinite(shortlist.tokens["logit"])]
            if shortlist_decides(allowed, floor, self._kept, self._top_p):
                self._apply(self.chain, shortlist)
                return shortlist.chosen()[0]
        candidates = self.allowed_among(possible, logits)
        self._apply(self.chain, candidates)
        token, logit = candidates.chosen()
        if math.isinf(logit):
            raise DecodeError("the grammar allows no token here")
        return token

    def sample(self, context, logits: np.ndarray) -> tuple[int, bool]:  # context: llama_context_p
        """The next token from the context's last logits (penalised in place, as llama.cpp's
        buffer is rewritten by the next decode), and whether the grammar rejected a first draw."""
        self._penalise(logits)
        token = self._lib.llama_sampler_sample(self.chain, context, -1)
        if self.grammar is None or self._grammar_allows(token):
            return token, False
        return self._redraw(logits), True

    def accept(self, token: int) -> None:
        # The drawing chain keeps no state between tokens (its samplers have no accept step).
        self._recent.append(token)
        if self.grammar:
            self._lib.llama_sampler_accept(self.grammar, token)

    def close(self) -> None:
        for sampler in (self.chain, self.grammar):
            if sampler:
                self._lib.llama_sampler_free(sampler)
        self.chain = self.grammar = None


@dataclass(frozen=True)
class _Pieces:
    """Each token's text as llama.cpp's grammar sees it, reduced to what the full pass needs."""

    first_byte: np.ndarray  # per token: its first byte, 256 for an empty piece, 257 unknown
    byte_values: np.ndarray  # the bytes that some token spells alone...
    byte_tokens: np.ndarray  # ...and that token
    end_of_turn: np.ndarray  # the end-of-generation tokens


_pieces_by_model: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _pieces(llama: Llama) -> _Pieces:
    """The model's _Pieces, computed once (~0.1 s for SmolLM2's 49,152 tokens)."""
    if llama not in _pieces_by_model:
        import llama_cpp

        vocab = llama._model.vocab
        n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        first_byte = np.full(n_vocab, 257, dtype=np.int16)
        alone: dict[int, int] = {}
        piece = ctypes.create_string_buffer(256)
        for token in range(n_vocab):
            # special=True: the grammar reads control tokens as their text, as llama.cpp does
            size = llama_cpp.llama_token_to_piece(vocab, token, piece, 256, 0, True)
            if size == 0:
                first_byte[token] = 256
            elif size > 0:
                first_byte[token] = piece.raw[0]
                if size == 1:
                    alone.setdefault(piece.raw[0], token)
        end_of_turn = [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)]
        _pieces_by_model[llama] = _Pieces(
            first_byte=first_byte,
            byte_values=np.array(list(alone), dtype=np.int16),
            byte_tokens=np.array(list(alone.values()), dtype=np.int32),
            end_of_turn=np.array(end_of_turn, dtype=np.int32),
        )
    return _pieces_by_model[llama]


def shortlist_decides(allowed: np.ndarray, floor: float, kept: int, top_p: float) -> bool:
    """Whether the chain draws the same way from a shortlist's allowed tokens as from the whole
    grammar-filtered vocabulary.

    `allowed` are the logits of the shortlist's allowed tokens, `floor` the lowest logit of the
    shortlist (no token outside it scores higher), `kept` how many tokens top-k keeps (1 when
    greedy). With `kept` allowed tokens in hand, top-k keeps exactly those. With fewer, up to
    kept - len(allowed) tokens outside could join them, each with at most exp(floor) of weight;
    top-p (which runs before temperature) then cuts at the same place whether they exist or not
    when the cut falls at the same token for the found weight and for the found plus that bound.
    """
    found = len(allowed)
    if found >= kept:
        return found > 0
    if found == 0 or top_p >= 1.0:
        return False
    ordered = np.sort(allowed.astype(np.float64))[::-1]
    weights = np.exp(ordered - ordered[0])
    outside = (kept - found) * np.exp(floor - ordered[0])
    cumulative = np.cumsum(weights)
    cut = np.searchsorted(cumulative, top_p * cumulative[-1])
    cut_with_outside = np.searchsorted(cumulative, top_p * (cumulative[-1] + outside))
    return cut_with_outside < found and cut == cut_with_outside


def _drawing_chain(run: ModelOptions):  # -> llama_sampler_p
    """llama-cpp-python's chain after the repeat penalty: greedy at temperature 0, else a draw."""
    import llama_cpp as lib

    seed = lib.LLAMA_DEFAULT_SEED if run.seed is None else run.seed
    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    if run.temperature == 0.0:
        samplers = [lib.llama_sampler_init_greedy()]
    else:
        samplers = [
            lib.llama_sampler_init_top_k(run.top_k),
            lib.llama_sampler_init_top_p(run.top_p, 1),
            lib.llama_sampler_init_min_p(0.0, 1),  # Ollama's default; llama-cpp-python's is 0.05
            lib.llama_sampler_init_temp(run.temperature),
            lib.llama_sampler_init_dist(seed),
        ]
    for sampler in samplers:
        lib.llama_sampler_chain_add(chain, sampler)
    return chain
