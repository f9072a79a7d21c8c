"""CP-SAT model of a compiled problem: variables, one module per constraint family, objective."""
