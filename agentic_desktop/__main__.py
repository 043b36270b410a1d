from agentic_desktop.app import main

raise SystemExit(main())
