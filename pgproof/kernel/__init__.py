"""pgproof's trusted kernel: what a reader must trust to trust a verdict.

It imports only the standard library, SymPy and itself (a test walks every import
statement).  Today it holds the expression objects (:mod:`.objects`, :mod:`.state_objects`,
:mod:`.visitation`, :mod:`.series`: structure, free symbols, assumptions and what each
class binds; no printing), the binder layer (:mod:`.binders`: one declaration per class and
the capture-avoiding substitution every rule uses), the units of work (:mod:`.work`) and a
rule's refusal (:mod:`.refusal`).  The canonical form, the rules and the step check are to
follow (issue 20); until then they are trusted too (README, "What you must trust")."""
