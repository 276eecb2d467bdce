need(.instance_name; "instance_name") + "\n"
