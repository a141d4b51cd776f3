from kpolicy.cli import main

main()
