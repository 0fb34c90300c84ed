from cnca_watch.cli import main

main()
