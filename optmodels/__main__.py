from optmodels.cli import run

run()
