// The front door's clips play muted on a loop; one button pauses (or plays) them all, and they start
// paused for visitors who asked their system for less motion.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-reel-toggle]");
  const videos = [...document.querySelectorAll(".reel video")];
  if (!button || !videos.length) return;
  const show = (paused) => {
    button.setAttribute("aria-pressed", String(paused));
    button.textContent = paused ? "Play the clips" : "Pause the clips";
  };
  const set = (paused) => {
    videos.forEach((video) => (paused ? video.pause() : video.play().catch(() => {})));
    show(paused);
  };
  button.hidden = false;
  button.addEventListener("click", () => set(button.getAttribute("aria-pressed") !== "true"));
  if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) set(true);
  else show(false);
});
