from termcrm.cli import main

main()
