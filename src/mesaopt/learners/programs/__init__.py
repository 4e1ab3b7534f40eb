"""Program search with speed and simplicity priors: DSL, step-counting interpreter, Levin enumeration, local search."""
