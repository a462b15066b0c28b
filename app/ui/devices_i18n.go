package ui

// Messages of the devices page; kept apart from i18n.go's table so the
// page's strings travel with it.
func init() {
	for k, v := range map[string][2]string{
		"device.kind":    {"类型", "Kind"},
		"device.new":     {"新建设备", "New device"},
		"device.accepts": {"预设可用范围：", "Presets may set:"},
		"kind.camera":    {"摄像机", "camera"},
		"kind.light":     {"灯光", "light"},
		"kind.obs":       {"OBS", "OBS"},
	} {
		messages[k] = v
	}
}
