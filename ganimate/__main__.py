from ganimate.cli import main

main()
