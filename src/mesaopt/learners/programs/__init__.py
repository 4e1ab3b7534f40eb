"""Program search with speed and simplicity priors: the base optimizer whose learned algorithms can be read.

- `dsl`: the typed program language, its PCFG description length c (bits), labels and integer-array encoding;
- `interpret`: the step-counting interpreter (run time t);
- `enumerate`: Levin-style bottom-up enumeration under c + g*log2(t) with (outputs, steps) equivalence pruning;
- `local`: mutation hill-climbing and a genetic algorithm over the same programs;
- `algorithm`: a found program as a LearnedAlgorithm with its structural label;
- `tasks`: the hash_inversion and deploy (seed 003) task families; `learners`: the registered learners;
- `costs`: `measured_costs()`, seed 003's components and structures measured on the interpreter.
- `maze`: the maze-program language (stored move lists, tables keyed on an instance feature, a greedy local heuristic,
  breadth-first search, generate-and-test over move sequences), its prefix-code c and its step-counting interpreter;
  `maze_search`: the maze language under the shared enumerator core (`enumerate.LevelSearch`) and the local searches;
  `maze_learner`: the found maze program as a LearnedAlgorithm, the `maze_enumerate` / `maze_hillclimb` /
  `maze_genetic` learners with the compression curve, and the `label_agreement` detector (battery vs structure).
"""
