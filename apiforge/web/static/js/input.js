// The auto-resizing textarea behaviour shared by the home box and the chat input.

const MAX_HEIGHT_PX = 240;

export function autoResize(area) {
  const fit = () => {
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight + 2, MAX_HEIGHT_PX)}px`;
  };
  if (!area.dataset.autoResize) {
    area.dataset.autoResize = "on";
    area.addEventListener("input", fit);
  }
  requestAnimationFrame(fit);
}
