from globusput.cli import run

run()
