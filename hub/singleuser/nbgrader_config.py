# nbgrader settings of every student's server on the hub (hub/jupyterhub_config.py points
# JUPYTER_CONFIG_PATH here). The course is one nbgrader assignment, "bpcourse": the folder
# ~/bpcourse that nbgitpuller fills. Students submit it from the Assignments tab
# (Nbgrader > Assignments) and fetch their feedback there.
import os

c = get_config()  # noqa: F821 (nbgrader defines it when it reads this file)
c.CourseDirectory.course_id = "bpcourse"
c.Exchange.root = os.environ.get("BPCOURSE_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = False  # the assignment is ~/bpcourse, not ~/bpcourse/bpcourse
# What a submission leaves out: nbgitpuller's .git folder, caches, fetched feedback.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".git"]
