from reconciler.ci.main import main

main()
