"""The coverage models at population-grid scale: LSCP, MCLP and backup coverage (LSCP-B) over
demand points merged by cover set, with exact reductions, a Lagrangian bound and HiGHS."""
