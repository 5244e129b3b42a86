"""The engine's side of lessons: the condition language, the session quantities it reads, and the numbers a
learner computes by hand (with their check and hint). Pure Python and NumPy; the app loads the lesson files."""
