from termcrm.cli import main

if __name__ == "__main__":  # a worker process (imports) imports this module again
    main()
