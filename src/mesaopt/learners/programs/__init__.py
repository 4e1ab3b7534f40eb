"""Program search with speed and simplicity priors: the base optimizer whose learned algorithms can be read.

- `dsl`: the typed program language, its PCFG description length c (bits), labels and integer-array encoding;
- `interpret`: the step-counting interpreter (run time t);
- `enumerate`: Levin-style bottom-up enumeration under c + g*log2(t) with (outputs, steps) equivalence pruning;
- `local`: mutation hill-climbing and a genetic algorithm over the same programs;
- `algorithm`: a found program as a LearnedAlgorithm with its structural label;
- `tasks`: the hash_inversion and deploy (seed 003) task families; `learners`: the registered learners;
- `costs`: `measured_costs()`, seed 003's components and structures measured on the interpreter.
- `maze`: the maze-program vocabulary (a stored move list, a table of paths keyed on the instance, a breadth-first
  search with a depth, a move set, a space and an objective), its prefix-code c, its step-counting interpreter and the
  finite candidate space; `maze_learner`: the found maze program as a LearnedAlgorithm, the `maze_enumerate` learner
  with the compression curve along one maze's path, and the `label_agreement` detector (battery vs structure).
"""
