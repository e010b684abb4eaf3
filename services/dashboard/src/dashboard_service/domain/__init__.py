"""What the dashboard decides without I/O: the periods figures count in, shares and averages."""
