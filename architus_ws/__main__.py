from architus_ws.cli import main

main()
