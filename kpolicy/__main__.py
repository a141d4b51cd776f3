from kpolicy.entry import main

main()
