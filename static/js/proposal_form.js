// "Add a line" on the proposal editor: copies the empty line the server rendered, with the next
// form index, and raises the formset's TOTAL_FORMS so Django reads it.
(function () {
  const button = document.querySelector("[data-add-line]");
  const template = document.getElementById("empty-line");
  const body = document.querySelector("#proposal-lines tbody");
  const total = document.querySelector("input[name='lines-TOTAL_FORMS']");
  if (!button || !template || !body || !total) return;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    body.lastElementChild.querySelector("input").focus();
  });
})();
