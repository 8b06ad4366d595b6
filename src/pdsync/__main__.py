from pdsync.cli import run

run()
