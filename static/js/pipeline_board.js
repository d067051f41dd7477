// Drag-and-drop on the pipeline board: dropping a card on another column posts the same form
// the arrow buttons post, so the server decides and the page reloads with its message.
(function () {
  const board = document.querySelector("[data-board]");
  const form = document.getElementById("board-move");
  if (!board || !form) return;
  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".board-card[draggable='true']");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
    dragged = null;
  });
  board.addEventListener("dragover", (event) => {
    const column = event.target.closest(".board-column");
    if (!dragged || !column || column.dataset.stage === dragged.dataset.stage) return;
    event.preventDefault();
    column.classList.add("drop-target");
  });
  board.addEventListener("dragleave", (event) => {
    const column = event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });
  board.addEventListener("drop", (event) => {
    const column = event.target.closest(".board-column");
    if (!dragged || !column || column.dataset.stage === dragged.dataset.stage) return;
    event.preventDefault();
    form.action = dragged.dataset.moveUrl;
    form.elements.stage.value = column.dataset.stage;
    form.elements.version.value = dragged.dataset.version;
    form.submit();
  });
})();
