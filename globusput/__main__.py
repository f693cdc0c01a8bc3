from globusput.cli import main

raise SystemExit(main())
