"""The independent samples cases share, declared once: toy shapes and seeds, disjoint pairs and tuples of the
tier's 12 optima, same-basin pairs, and the sentences the same-basin controls hold on."""

C1_SHAPES = ((6, 3, 0), (10, 7, 1), (12, 6, 2), (12, 0, 3), (12, 12, 4))  # (D, n, seed)
D100, D1000 = {"D": 100, "n": 80}, {"D": 1000, "n": 900}
SEEDS5 = (0, 1, 2, 3, 4)  # toy primaries and replications: five independent seeds (claims/RULES.md T1)
SEEDS6 = (0, 1, 2, 3, 4, 5)  # "every sample" rules: [min, max] is the median's 95% interval from 6 samples
TOY_SAME_BASIN = ("the pair (an optimum and its re-descent, by gradient flow to the same loss, after a move of 1% of "
                  "its norm) had landed on different wedges")

PAIRS6 = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11))  # six disjoint pairs of the 12 quick-tier optima
PAIRS3 = PAIRS6[:3]
SAME_BASIN = (("neighbour", 0), ("neighbour", 2), ("neighbour", 4))  # an optimum and its same-basin neighbour
TUPLES = {1: ((0, 1), (2, 3), (4, 5)), 2: ((0, 1, 2), (3, 4, 5), (6, 7, 8)),
          3: ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)), 4: ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9))}
GROUPS4 = ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11))
SAME_BASIN_HOLDS_IF = ("the pair (an optimum and its neighbour, moved by 5% of its norm and re-descended to the same "
                       "loss) had landed in different wedges")
