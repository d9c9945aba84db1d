"""Exact J(θ) and ∇J(θ) by enumerating every trajectory.

With p_θ(τ) = ρ(s_1) Π_t π_θ,t(a_t|s_t) P(s_{t+1}|s_t,a_t) over all S^{T+1} A^T trajectories,

    J(θ)  = Σ_τ p_θ(τ) R(τ),
    ∇J(θ) = Σ_τ p_θ(τ) R(τ) Σ_{t=1}^{T} ∇_θ log π_θ,t(a_t | s_t)      (log-derivative trick).

Trajectory k has the mixed-radix digits (s_1, a_1, s_2, ..., a_T, s_{T+1}) (s_1 most
significant), i.e. it is leaf k of the trajectory tree whose level 2t-2 chooses s_t and
level 2t-1 chooses a_t.  In that order the node i of a level has state i mod S (state
levels) or cell s·A + a = i mod S·A (action levels), so a whole level is built from the one
above by broadcasting, without decoding a single index:

    p(s_1..a_t)     = p(s_1..s_t) π_t(a_t|s_t),   R(s_1..a_t) = R(s_1..s_t) + γ^{t-1} r(s_t,a_t),
    p(s_1..s_{t+1}) = p(s_1..a_t) P(s_{t+1}|s_t,a_t),   R(s_1..s_{t+1}) = R(s_1..a_t),

which is O(1) per node, O(N) per gradient (N = S^{T+1} A^T; the levels above the leaves
add a geometric fraction).  At the leaves p(τ) R(τ) is formed for every τ, and summed back
up level by level (a [n, k] × [k] product per level), which gives at each action level the
table W[t, s, a] = Σ_τ p_θ(τ) R(τ) 1[s_t = s, a_t = a] (one more [n, S·A] product),
contracted once with the score (``Policy.score_vjp``).  Memory stays bounded: the tree is
expanded fully down to a split level, and below it in groups of sibling subtrees with at
most ``chunk_size`` leaves.  Counts above ``MAX_TRAJECTORIES`` are refused up front with
:class:`TooManyTrajectories`.

:func:`iter_trajectories` still hands out explicit (states, actions, prob) chunks for
callers that need each trajectory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem
from pgproof.numeric.trajectories import TrajectoryChunk

#: Largest number of trajectories the enumeration routes accept.
MAX_TRAJECTORIES = 20_000_000
#: Default number of trajectories decoded at once.
DEFAULT_CHUNK_SIZE = 1 << 16


class TooManyTrajectories(ValueError):
    """Enumeration was asked for more trajectories than the limit allows."""


def trajectory_count(mdp: TabularMDP) -> int:
    """S^{T+1} · A^T, the number of trajectories (including zero-probability ones)."""
    return mdp.n_states ** (mdp.horizon + 1) * mdp.n_actions**mdp.horizon


def check_enumerable(mdp: TabularMDP, limit: int | None = None) -> int:
    """Return the trajectory count, or raise :class:`TooManyTrajectories` above ``limit``."""
    limit = MAX_TRAJECTORIES if limit is None else limit
    count = trajectory_count(mdp)
    if count > limit:
        raise TooManyTrajectories(
            f"enumerating S^(T+1)·A^T = {mdp.n_states}^{mdp.horizon + 1}·"
            f"{mdp.n_actions}^{mdp.horizon} = {count:.3g} trajectories exceeds the limit of "
            f"{limit:,}; use the dynamic-programming route (exact_gradient_dp), which is "
            f"polynomial in S, A and T, or sample trajectories instead"
        )
    return count


def _digit_patterns(radices: list[int], size: int) -> np.ndarray:
    """Mixed-radix digits (least significant first) of 0..size-1, shape [len(radices), size]."""
    code = np.arange(size, dtype=np.int64)
    digits = np.empty((len(radices), size), dtype=np.intp)
    for j, radix in enumerate(radices):
        code, digits[j] = np.divmod(code, radix)
    return digits


def iter_trajectories(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    limit: int | None = None,
) -> Iterator[TrajectoryChunk]:
    """Yield every trajectory with its probability, about ``chunk_size`` at a time.

    Chunks are blocks of the lowest mixed-radix digits (s_{T+1}, a_T, s_T, ...), so their
    digit pattern is decoded once and only the constant high digits change per chunk.
    """
    theta = check_problem(mdp, policy, theta)
    count = check_enumerable(mdp, limit)
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    pi = policy.probs(theta, horizon)
    # q_t[(s·A + a)·S + s'] = π_t(a|s) P(s'|s,a), flattened for a single take per step
    joint = (pi[:, :, :, None] * mdp.transition).reshape(horizon, -1)
    radices = [n_states] + [n_actions, n_states] * horizon  # least significant first
    low, block = 0, 1
    while low < len(radices) and block * radices[low] <= max(chunk_size, radices[0]):
        block *= radices[low]
        low += 1
    pattern = _digit_patterns(radices[:low], block)
    for high_code in range(count // block):
        # time-major storage (contiguous per step), handed out as [n, T+1] / [n, T] views
        states = np.empty((horizon + 1, block), dtype=np.intp).T
        actions = np.empty((horizon, block), dtype=np.intp).T
        code = high_code
        for j in range(len(radices)):
            # digit j is s_{T+1-j/2} for even j and a_{T-(j-1)/2} for odd j (1-based t)
            target = states[:, horizon - j // 2] if j % 2 == 0 else actions[:, horizon - 1 - j // 2]
            if j < low:
                target[:] = pattern[j]
            else:
                code, digit = divmod(code, radices[j])
                target[:] = digit
        prob = mdp.initial[states[:, 0]]
        for t in range(horizon):
            cell = (states[:, t] * n_actions + actions[:, t]) * n_states + states[:, t + 1]
            prob *= joint[t].take(cell)
        yield TrajectoryChunk(states, actions, prob)


class _Tree:
    """The trajectory tree of one (MDP, π): level ℓ = 2(t-1) picks s_t, ℓ = 2t-1 picks a_t.

    Levels are flat arrays in tree order; :meth:`expand` builds level ℓ+1 from level ℓ
    and :meth:`leaf_values` the p(τ) R(τ) of the leaves below the last action level.
    """

    def __init__(self, mdp: TabularMDP, pi: np.ndarray) -> None:
        self.n_states, self.n_actions, self.horizon = mdp.n_states, mdp.n_actions, mdp.horizon
        self.pi = pi  # [T', S, A]
        self.rewards = mdp.discounts[:, None, None] * mdp.reward  # γ^{t-1} r(s, a), [T, S, A]
        self.flat = mdp.transition.reshape(-1, self.n_states)  # P(s'|s,a) at row s·A + a
        self.top = (mdp.initial.copy(), np.zeros(self.n_states))  # level 0: p(s_1), R = 0

    def radix(self, level: int) -> int:
        return self.n_states if level % 2 == 0 else self.n_actions

    def expand(
        self, prob: np.ndarray, ret: np.ndarray, level: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(p, R) of level ``level`` + 1 from those of ``level`` (whole sibling blocks)."""
        if level % 2 == 0:  # s_t -> a_t: multiply by π_t(a|s), add γ^{t-1} r(s, a)
            t = level // 2
            blocks = prob.size // self.n_states
            pi = self.pi[t if len(self.pi) > 1 else 0]
            prob = (prob.reshape(blocks, -1, 1) * pi).ravel()
            ret = (ret.reshape(blocks, -1, 1) + self.rewards[t]).ravel()
            return prob, ret
        cells = self.flat.shape[0]  # a_t -> s_{t+1}: multiply by P(s'|s,a)
        prob = (prob.reshape(-1, cells, 1) * self.flat).ravel()
        return prob, np.repeat(ret, self.n_states)

    def leaf_values(self, prob: np.ndarray, ret: np.ndarray) -> np.ndarray:
        """p(τ) R(τ) for every leaf below the a_T level, shape [n, S] (row = its a_T node)."""
        values = prob.reshape(-1, self.flat.shape[0], 1) * self.flat
        values *= ret.reshape(values.shape[0], -1, 1)
        return values.reshape(-1, self.n_states)


def _split_level(tree: _Tree, count: int, chunk_size: int) -> int:
    """Shallowest state level whose sibling blocks have at most ``chunk_size`` leaves below.

    At most the level of s_T, the last one with an action level below it.
    """
    nodes, level = tree.n_states, 0
    while level < 2 * tree.horizon - 2 and count // nodes * tree.n_states > chunk_size:
        nodes *= tree.n_actions * tree.n_states
        level += 2
    return level


def _sum_up(
    tree: _Tree, sums: np.ndarray, level: int, stop: int, table: np.ndarray | None
) -> np.ndarray:
    """Subtree sums of p(τ)R(τ) from level ``level`` up to level ``stop`` (< level).

    At every action level passed (including ``level``) Σ over its nodes with cell s·A + a
    is added to ``table[t]`` (``table[0]`` for a time-invariant table).
    """
    cells = tree.n_states * tree.n_actions
    while True:
        if table is not None and level % 2 == 1:
            t = level // 2 if len(table) > 1 else 0
            table[t] += np.ones(sums.size // cells) @ sums.reshape(-1, cells)
        if level == stop:
            return sums
        radix = tree.radix(level)
        sums = sums.reshape(-1, radix) @ np.ones(radix)
        level -= 1


def _tree_sums(mdp: TabularMDP, pi: np.ndarray, chunk_size: int, table: np.ndarray | None) -> float:
    """J = Σ_τ p(τ) R(τ) over the whole tree, adding the weight table W into ``table``."""
    tree = _Tree(mdp, pi)
    count = trajectory_count(mdp)
    leaves = 2 * mdp.horizon
    split = _split_level(tree, count, chunk_size)
    top = [tree.top]
    for level in range(split):
        top.append(tree.expand(*top[-1], level))
    prob, ret = top[split]
    block = tree.n_states  # a group is whole blocks of S sibling nodes at the split level
    leaves_per_block = count // prob.size * block
    step = block * max(1, chunk_size // leaves_per_block)
    split_sums = np.empty(prob.size)
    for start in range(0, prob.size, step):
        group = (prob[start : start + step], ret[start : start + step])
        for level in range(split, leaves - 1):
            group = tree.expand(*group, level)
        values = tree.leaf_values(*group) @ np.ones(tree.n_states)  # per a_T node
        split_sums[start : start + step] = _sum_up(tree, values, leaves - 1, split, table)
    return float(_sum_up(tree, split_sums, split, 0, table).sum())


def exact_objective(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> float:
    """J(θ) = Σ_τ p_θ(τ) R(τ) by enumeration (over the trajectory tree)."""
    theta = check_problem(mdp, policy, theta)
    check_enumerable(mdp)
    pi = _policy_table(policy, theta, mdp.horizon)
    return _tree_sums(mdp, pi, chunk_size, None)


def _policy_table(policy: Policy, theta: np.ndarray, horizon: int) -> np.ndarray:
    """π_t(a|s) as [T', S, A] (T' = 1 for a time-invariant policy)."""
    pi = policy.probs(theta, horizon)
    return np.ascontiguousarray(pi[:1] if policy.time_invariant else pi)


def exact_gradient_enumeration(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> np.ndarray:
    """∇J(θ) = Σ_τ p_θ(τ) R(τ) Σ_t ∇ log π_θ,t(a_t|s_t) by enumeration, shape param_shape."""
    theta = check_problem(mdp, policy, theta)
    check_enumerable(mdp)
    pi = _policy_table(policy, theta, mdp.horizon)
    table = np.zeros((len(pi), mdp.n_states * mdp.n_actions))
    _tree_sums(mdp, pi, chunk_size, table)
    return policy.score_vjp(theta, mdp.horizon, table.reshape(pi.shape))
